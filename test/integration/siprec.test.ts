import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { buildMetadata, buildOffer, SiprecClient } from '../helpers/siprec-client.js';
import { inSlots, packetize, sendPaced, type PlannedPacket } from '../helpers/rtp-sender.js';
import { channelsOf, noise, readPcmWav, toneStrength, sine } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { recordingOfCall } from '../helpers/siprec-harness.js';
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';
import { G722Encoder } from '../../src/media/g722.js';

const PACKET = 160; // samples (and µ-law bytes) per 20 ms at 8 kHz

/** Index in `haystack` where `needle` occurs exactly, or -1. */
function findExact(haystack: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function isSilent(samples: Int16Array): boolean {
  return samples.every((s) => s === 0);
}

describe.each(backendNames())('SIPREC recording on %s', (backend) => {
  let server: TestServer;
  let sip: { host: string; udp: number; tcp: number };
  beforeAll(async () => {
    server = await startTestServer(backend, { env: { RTP_TIMEOUT: '3' } });
    const ports = server.app.ingest!.sipPorts;
    sip = { host: '127.0.0.1', udp: ports.udp!, tcp: ports.tcp! };
    const trunk = await server.api('/sip-trunks', { method: 'POST', body: JSON.stringify({ request_uri_user: `acme${backend.length}`, allowed_sources: ['127.0.0.0/8'] }), headers: { 'content-type': 'application/json' } });
    expect(trunk.status).toBe(201);
  });
  afterAll(async () => server?.close());
  const user = () => `acme${backend.length}`;

  it.each(['udp', 'tcp'] as const)('records a dual-channel PCMU call over %s, each party on its own channel, with loss, reordering, duplicates and an SSRC change', async (transport) => {
    const client = new SiprecClient(transport, { host: sip.host, port: transport === 'udp' ? sip.udp : sip.tcp }, user());
    await client.connect();
    const sessionId = `ab${Math.random().toString(16).slice(2)}cd`;
    const metadata = buildMetadata(
      [
        { aor: 'sip:alice@example.com', name: 'Alice', sends: ['1'] },
        { aor: 'sip:bob@example.com', name: 'Bob', sends: ['2'] },
      ],
      { sipSessionId: sessionId, labels: ['1', '2'] },
    );
    const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), metadata);
    expect(invite.status).toBe(200);
    expect(invite.answerSdp.match(/a=recvonly/g)).toHaveLength(2);
    expect(invite.answerSdp).toMatch(/m=audio \d+ RTP\/AVP 0 101/);

    const inProgress = await recordingOfCall(server, sessionId);
    expect(inProgress).toMatchObject({ status: 'in-progress', source: 'automatic', channels: 2 });

    const packets = 150;
    const caller = mulawEncode(noise(packets * PACKET, 11));
    const callee = mulawEncode(noise(packets * PACKET, 22));
    const s1 = packetize(caller, { payloadType: 0, ssrc: 0x1111, bytesPerPacket: PACKET, ticksPerPacket: PACKET, firstSeq: 65500 });
    const s2 = packetize(callee, { payloadType: 0, ssrc: 0x2222, bytesPerPacket: PACKET, ticksPerPacket: PACKET, firstTs: 0xffffff00 - 20 * PACKET });
    // Callee stream impairments: packets 30-31 lost, 50/51 swapped, 70 duplicated, new SSRC from 100 on.
    const slots2: PlannedPacket[][] = inSlots(s2);
    slots2[30] = [];
    slots2[31] = [];
    slots2[50] = [s2[51]];
    slots2[51] = [s2[50]];
    slots2[71] = [s2[71], s2[70]];
    for (let i = 100; i < packets; i++) slots2[i] = [{ ...s2[i], ssrc: 0x3333, sequence: (i * 7) & 0xffff, timestamp: 5_000_000 + (i - 100) * PACKET }];
    // The caller's sequence numbers and the callee's timestamps wrap around during the call.
    await sendPaced([
      { port: invite.rtpPorts[0], slots: inSlots(s1) },
      { port: invite.rtpPorts[1], slots: slots2 },
    ]);
    expect(await client.bye()).toBe(200);
    client.close();

    const done = await waitForRecording(server, inProgress.id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 2, sample_rate: 8000, duration: 3, call_id: sessionId });
    expect(done.channel_map).toEqual([
      { channel: 1, participant: { aor: 'sip:alice@example.com', name: 'Alice', role: 'caller' } },
      { channel: 2, participant: { aor: 'sip:bob@example.com', name: 'Bob', role: 'callee' } },
    ]);
    const wav = readPcmWav((await download(done.media_urls.wav)).body);
    const [ch1, ch2] = channelsOf(wav.samples, 2);
    const sent1 = mulawDecode(caller);
    const sent2 = mulawDecode(callee);

    // Caller: every sample exactly as sent.
    const start1 = findExact(ch1, sent1.subarray(0, PACKET));
    expect(start1).toBeGreaterThanOrEqual(0);
    expect(Array.from(ch1.subarray(start1, start1 + sent1.length))).toEqual(Array.from(sent1));

    // Callee before the SSRC change: exact, with silence where packets were lost.
    const start2 = findExact(ch2, sent2.subarray(0, PACKET));
    expect(start2).toBeGreaterThanOrEqual(0);
    expect(Math.abs(start2 - start1)).toBeLessThanOrEqual(160); // channels within 20 ms of each other
    for (let k = 0; k < 100; k++) {
      const got = ch2.subarray(start2 + k * PACKET, start2 + (k + 1) * PACKET);
      if (k === 30 || k === 31) expect(isSilent(got), `packet ${k} lost`).toBe(true);
      else expect(Array.from(got), `packet ${k}`).toEqual(Array.from(sent2.subarray(k * PACKET, (k + 1) * PACKET)));
    }
    // After the SSRC change the stream is re-anchored by arrival: exact audio, within 20 ms of where it belongs.
    const after = findExact(ch2, sent2.subarray(100 * PACKET, 101 * PACKET));
    expect(Math.abs(after - (start2 + 100 * PACKET))).toBeLessThanOrEqual(160);
    expect(Array.from(ch2.subarray(after, after + 50 * PACKET))).toEqual(Array.from(sent2.subarray(100 * PACKET)));
  });

  it('records a G.722 call as 16 kHz audio', async () => {
    const client = new SiprecClient('udp', { host: sip.host, port: sip.udp }, user());
    await client.connect();
    const callId = `g722-${Date.now()}`;
    const invite = await client.invite(buildOffer([{ label: 'a', payloadTypes: [9, 0] }, { label: 'b', payloadTypes: [9, 0] }]), buildMetadata([{ aor: 'sip:a@x', sends: ['a'] }, { aor: 'sip:b@x', sends: ['b'] }], { labels: ['a', 'b'], sipSessionId: callId }));
    expect(invite.status).toBe(200);
    expect(invite.answerSdp).toMatch(/m=audio \d+ RTP\/AVP 9/);
    const tone1 = new G722Encoder().encode(sine(500, 2, 16000));
    const tone2 = new G722Encoder().encode(sine(1500, 2, 16000));
    // G.722: 160 bytes per 20 ms, RTP clock 8000 (160 ticks), 320 samples of 16 kHz audio.
    await sendPaced([
      { port: invite.rtpPorts[0], slots: inSlots(packetize(tone1, { payloadType: 9, ssrc: 1, bytesPerPacket: 160, ticksPerPacket: 160 })) },
      { port: invite.rtpPorts[1], slots: inSlots(packetize(tone2, { payloadType: 9, ssrc: 2, bytesPerPacket: 160, ticksPerPacket: 160 })) },
    ]);
    await client.bye();
    client.close();
    const rec = await waitForRecording(server, (await recordingOfCall(server, callId)).id, 30_000);
    expect(rec).toMatchObject({ status: 'completed', sample_rate: 16000, channels: 2, duration: 2 });
    const [a, b] = channelsOf(readPcmWav((await download(rec.media_urls.wav)).body).samples, 2);
    expect(toneStrength(a, 500, 16000)).toBeGreaterThan(20 * toneStrength(a, 1500, 16000));
    expect(toneStrength(b, 1500, 16000)).toBeGreaterThan(20 * toneStrength(b, 500, 16000));
  });

  it('ends a call whose media stops without a BYE after RTP_TIMEOUT, keeping what arrived', async () => {
    const client = new SiprecClient('udp', { host: sip.host, port: sip.udp }, user());
    await client.connect();
    const callId = `timeout-${Date.now()}`;
    const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), buildMetadata([{ aor: 'sip:a@x', sends: ['1'] }, { aor: 'sip:b@x', sends: ['2'] }], { labels: ['1', '2'], sipSessionId: callId }));
    const audio = mulawEncode(noise(50 * PACKET, 5));
    await sendPaced([{ port: invite.rtpPorts[0], slots: inSlots(packetize(audio, { payloadType: 0, ssrc: 9, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) }]);
    client.close();
    const rec = await waitForRecording(server, (await recordingOfCall(server, callId)).id, 30_000);
    expect(rec.status).toBe('completed');
    expect(rec.duration).toBe(1);
  });

  it('answers OPTIONS keep-alives, refuses non-SIPREC INVITEs and codecs it cannot decode', async () => {
    const client = new SiprecClient('udp', { host: sip.host, port: sip.udp }, user());
    await client.connect();
    const options = await client.options();
    expect(options.status).toBe(200);
    const g729 = await client.invite(buildOffer([{ label: '1', payloadTypes: [18] }]), buildMetadata([{ aor: 'sip:a@x', sends: ['1'] }], { labels: ['1'] }));
    expect(g729.status).toBe(488);
    const plain = new SiprecClient('udp', { host: sip.host, port: sip.udp }, user());
    await plain.connect();
    const notSiprec = await plain.invite(buildOffer([{ label: '1' }]), undefined, { requireSiprec: false });
    expect(notSiprec.status).toBe(488);
    client.close();
    plain.close();
  });
});
