import { describe, expect, it } from 'vitest';
import { negotiateOffer, NoAcceptableCodecError, SdpError, updateForReoffer } from '../../../src/ingest/sip/sdp-offer-answer.js';

const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const HEAD = ['v=0', 'o=SRC 1 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0'];
const ports = () => {
  let p = 20000;
  return () => (p += 2);
};

describe('negotiateOffer', () => {
  it('answers one m= line per offered line, in order, rejecting video and codec-less audio with port 0', () => {
    const offer = sdp(...HEAD,
      'm=audio 4000 RTP/AVP 18 0 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=label:1', 'a=sendonly', 'a=ptime:30',
      'm=video 4002 RTP/AVP 31', 'a=label:v',
      'm=audio 4004 RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=label:3',
      'm=audio 0 RTP/AVP 0', 'a=label:4');
    const r = negotiateOffer(offer, { allocatePort: ports(), localIp: '192.0.2.1' });
    expect(r.streams.map((s) => [s.index, s.label, s.rejected, s.localPort])).toEqual([
      [0, '1', false, 20002], [1, 'v', true, 0], [2, '3', true, 0], [3, '4', true, 0],
    ]);
    expect(r.streams[0]).toMatchObject({ codec: { name: 'PCMU', payloadType: 0, clockRate: 8000 }, telephoneEventPayloadType: 101, direction: 'sendonly', answerDirection: 'recvonly', ptime: 30, remoteRtcpPort: 4001 });
    const m = r.answerSdp.split('\r\n').filter((l) => l.startsWith('m='));
    expect(m).toEqual(['m=audio 20002 RTP/AVP 0 101', 'm=video 0 RTP/AVP 31', 'm=audio 0 RTP/AVP 18', 'm=audio 0 RTP/AVP 0']);
    expect(r.answerSdp).toContain('a=fmtp:101 0-16');
    expect(r.answerSdp).toContain('a=label:1\r\n');
    expect(r.answerSdp).toContain('c=IN IP4 192.0.2.1');
  });

  it('decodes G.722 (8000 RTP clock, 16 kHz audio) and L16 static and dynamic', () => {
    const offer = sdp(...HEAD,
      'm=audio 4000 RTP/AVP 9 101', 'a=rtpmap:101 telephone-event/8000',
      'm=audio 4002 RTP/AVP 11', 'm=audio 4004 RTP/AVP 96', 'a=rtpmap:96 L16/16000', 'm=audio 4006 RTP/AVP 97', 'a=rtpmap:97 l16/8000/1');
    const r = negotiateOffer(offer, { allocatePort: ports(), localIp: '192.0.2.1' });
    expect(r.streams.map((s) => s.codec)).toEqual([
      { name: 'G722', payloadType: 9, clockRate: 8000, channels: 1, sampleRate: 16000 },
      { name: 'L16', payloadType: 11, clockRate: 44100, channels: 1, sampleRate: 44100 },
      { name: 'L16', payloadType: 96, clockRate: 16000, channels: 1, sampleRate: 16000 },
      { name: 'L16', payloadType: 97, clockRate: 8000, channels: 1, sampleRate: 8000 },
    ]);
    expect(r.streams[0]!.telephoneEventPayloadType).toBe(101);
    expect(r.answerSdp).toContain('a=rtpmap:96 L16/16000');
  });

  it('uses media-level c= over session-level, handles IPv6 and answers from an IPv6 address', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP6 2001:db8::7', 's=-', 'c=IN IP6 2001:db8::7', 't=0 0',
      'm=audio 4000 RTP/AVP 8', 'c=IN IP6 2001:db8::8', 'a=rtcp:4444', 'm=audio 4002 RTP/AVP 0');
    const r = negotiateOffer(offer, { allocatePort: ports(), localIp: '2001:db8::1' });
    expect(r.streams.map((s) => [s.remoteAddress, s.remoteRtcpPort])).toEqual([['2001:db8::8', 4444], ['2001:db8::7', 4003]]);
    expect(r.answerSdp).toContain('c=IN IP6 2001:db8::1');
  });

  it('flags RFC 2543 hold (c=0.0.0.0) and answers inactive offers inactive', () => {
    const offer = sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'c=IN IP4 0.0.0.0', 'a=sendonly', 'm=audio 4002 RTP/AVP 0', 'a=inactive');
    const r = negotiateOffer(offer, { allocatePort: ports(), localIp: '192.0.2.1' });
    expect(r.streams.map((s) => [s.onHold, s.answerDirection])).toEqual([[true, 'recvonly'], [true, 'inactive']]);
  });

  it('throws NoAcceptableCodecError without allocating when no audio is acceptable, SdpError on garbage', () => {
    let n = 0;
    const alloc = () => ++n;
    expect(() => negotiateOffer(sdp(...HEAD, 'm=audio 4000 RTP/SAVP 0'), { allocatePort: alloc, localIp: '192.0.2.1' })).toThrow(NoAcceptableCodecError);
    expect(() => negotiateOffer(sdp(...HEAD, 'm=video 4000 RTP/AVP 31'), { allocatePort: alloc, localIp: '192.0.2.1' })).toThrow(NoAcceptableCodecError);
    expect(() => negotiateOffer('hello', { allocatePort: alloc, localIp: '192.0.2.1' })).toThrow(SdpError);
    expect(n).toBe(0);
  });
});

describe('updateForReoffer', () => {
  const first = sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=label:1', 'a=sendonly', 'm=audio 4002 RTP/AVP 0', 'a=label:2', 'a=sendonly');

  it('keeps ports for streams whose label persists (hold, resume, codec change) and bumps the o= version', () => {
    const alloc = ports();
    const r1 = negotiateOffer(first, { allocatePort: alloc, localIp: '192.0.2.1' });
    const hold = updateForReoffer(r1, sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=label:1', 'a=inactive', 'm=audio 4002 RTP/AVP 8', 'a=label:2', 'a=sendonly'), { allocatePort: alloc });
    expect(hold.streams.map((s) => [s.localPort, s.answerDirection, s.codec?.name])).toEqual([[20002, 'inactive', 'PCMU'], [20004, 'recvonly', 'PCMA']]);
    expect(hold.releasedPorts).toEqual([]);
    expect(hold.origin).toEqual({ sessionId: r1.origin.sessionId, version: 2 });
    const same = updateForReoffer(hold, sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=label:1', 'a=inactive', 'm=audio 4002 RTP/AVP 8', 'a=label:2', 'a=sendonly'), { allocatePort: alloc });
    expect(same.origin.version).toBe(2); // unchanged answer keeps its version (RFC 3264 §8)
  });

  it('gives new streams new ports and releases the ports of streams that went away', () => {
    const alloc = ports();
    const r1 = negotiateOffer(first, { allocatePort: alloc, localIp: '192.0.2.1' });
    const r2 = updateForReoffer(r1, sdp(...HEAD, 'm=audio 0 RTP/AVP 0', 'a=label:1', 'm=audio 4002 RTP/AVP 0', 'a=label:2', 'm=audio 4010 RTP/AVP 8', 'a=label:3'), { allocatePort: alloc });
    expect(r2.streams.map((s) => [s.label, s.localPort])).toEqual([['1', 0], ['2', 20004], ['3', 20006]]);
    expect(r2.releasedPorts).toEqual([20002]);
  });

  it('matches by m= index when there are no labels', () => {
    const alloc = ports();
    const r1 = negotiateOffer(sdp(...HEAD, 'm=audio 4000 RTP/AVP 0'), { allocatePort: alloc, localIp: '192.0.2.1' });
    const r2 = updateForReoffer(r1, sdp(...HEAD, 'm=audio 5000 RTP/AVP 8'), { allocatePort: alloc });
    expect(r2.streams[0]!.localPort).toBe(r1.streams[0]!.localPort);
    expect(r2.streams[0]!.remotePort).toBe(5000);
  });
});
