import { describe, expect, it } from 'vitest';
import { buildRtp, isRtcp, parseRtp } from '../../../src/ingest/rtp/rtp-packet.js';
import { prng } from './rtp-stream.js';

const payload = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);

describe('parseRtp', () => {
  it('reads every header field and returns the payload as a view', () => {
    const buf = buildRtp({ payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, marker: true, payload });
    const pkt = parseRtp(buf)!;
    expect(pkt).toMatchObject({ payloadType: 8, marker: true, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef });
    expect([...pkt.payload]).toEqual([...payload]);
    expect(pkt.payload.buffer).toBe(buf.buffer); // no copy
    buf[12] = 99;
    expect(pkt.payload[0]).toBe(99);
  });

  it('skips CSRCs and header extension and strips padding', () => {
    const buf = buildRtp({
      payloadType: 0,
      sequence: 1,
      timestamp: 2,
      ssrc: 3,
      csrcs: [10, 11, 12],
      extension: { profile: 0xbede, data: Buffer.from([0x10, 0xaa, 0, 0, 0x20, 1, 2, 3]) },
      padding: 4,
      payload,
    });
    expect(buf.length).toBe(12 + 12 + 4 + 8 + 8 + 4);
    expect([...parseRtp(buf)!.payload]).toEqual([...payload]);
  });

  it('accepts an empty payload and padding that fills the whole payload', () => {
    expect(parseRtp(buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }))!.payload.length).toBe(0);
    expect(parseRtp(buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, padding: 5 }))!.payload.length).toBe(0);
  });

  it('rejects malformed packets', () => {
    const good = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload });
    expect(parseRtp(good.subarray(0, 11))).toBeNull(); // shorter than the fixed header

    const v1 = Buffer.from(good);
    v1[0] = 0x40; // version 1
    expect(parseRtp(v1)).toBeNull();

    const csrcPastEnd = Buffer.from(good.subarray(0, 16));
    csrcPastEnd[0] = 0x82; // claims 2 CSRCs (8 bytes) but only 4 bytes follow
    expect(parseRtp(csrcPastEnd)).toBeNull();

    const extPastEnd = Buffer.from(good);
    extPastEnd[0] = 0x90; // extension flag: profile 0x0102, length 0x0304 words
    expect(parseRtp(extPastEnd)).toBeNull();

    const extHeaderCut = Buffer.from(good.subarray(0, 14));
    extHeaderCut[0] = 0x90; // extension header itself truncated
    expect(parseRtp(extHeaderCut)).toBeNull();

    const padTooLong = Buffer.from(good);
    padTooLong[0] = 0xa0;
    padTooLong[padTooLong.length - 1] = 9; // 9 padding bytes but the payload is 8
    expect(parseRtp(padTooLong)).toBeNull();

    const padZero = Buffer.from(good);
    padZero[0] = 0xa0;
    padZero[padZero.length - 1] = 0; // the count includes itself, so 0 is impossible
    expect(parseRtp(padZero)).toBeNull();
  });

  it('recognises RTCP multiplexed on the RTP port and does not parse it as RTP', () => {
    for (const type of [200, 201, 202, 203, 204, 205, 206]) {
      const rtcp = Buffer.alloc(28);
      rtcp[0] = 0x81;
      rtcp[1] = type;
      rtcp.writeUInt16BE(6, 2);
      expect(isRtcp(rtcp)).toBe(true);
      expect(parseRtp(rtcp)).toBeNull();
    }
    // PT 72..76 without marker, or dynamic PTs with marker, are RTP.
    const rtpWithMarker = buildRtp({ payloadType: 101, sequence: 1, timestamp: 2, ssrc: 3, marker: true, payload });
    expect(isRtcp(rtpWithMarker)).toBe(false);
    expect(parseRtp(rtpWithMarker)).not.toBeNull();
  });

  it('never throws on random buffers, and whatever it accepts is consistent', () => {
    const rnd = prng(42);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 80);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rnd() * 256);
      // Bias half of them towards version 2 so the deeper checks are exercised.
      if (len > 0 && i % 2 === 0) buf[0] = (buf[0]! & 0x3f) | 0x80;
      const pkt = parseRtp(buf);
      if (pkt) {
        accepted++;
        expect(pkt.payload.byteOffset + pkt.payload.length).toBeLessThanOrEqual(buf.byteOffset + len);
        expect(pkt.payload.byteOffset).toBeGreaterThanOrEqual(buf.byteOffset + 12);
      }
    }
    expect(accepted).toBeGreaterThan(100); // the fuzz actually reached the success path
  });
});
