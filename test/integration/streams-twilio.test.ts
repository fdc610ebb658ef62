import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { channelsOf, noise, readPcmWav } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { closed, openSocket, recordingOfCall, streamUrl, TwilioStreamClient } from '../helpers/stream-clients.js';
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';

const FRAME = 160; // samples and µ-law bytes per 20 ms at 8 kHz

/** Index in `haystack` where `needle` occurs exactly, or -1. */
function findExact(haystack: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A track of `frames` 20 ms µ-law frames of noise. */
function track(frames: number, seed: number): Uint8Array[] {
  const bytes = mulawEncode(noise(frames * FRAME, seed));
  return Array.from({ length: frames }, (_, k) => bytes.subarray(k * FRAME, (k + 1) * FRAME));
}

/** What a channel must hold: each frame decoded where `present`, silence elsewhere. */
function expected(frames: Uint8Array[], present: (k: number) => boolean): Int16Array {
  const out = new Int16Array(frames.length * FRAME);
  frames.forEach((f, k) => present(k) && out.set(mulawDecode(f), k * FRAME));
  return out;
}

function uid(): string {
  return `CA${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
}

describe.each(backendNames())('Twilio media streams on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { env: { RTP_TIMEOUT: '2' } });
  });
  afterAll(async () => server?.close());

  it('records both tracks by timestamp: gaps are silence, reordered frames land in place, a duplicate and a late frame are dropped', async () => {
    const callSid = uid();
    const ws = await openSocket(streamUrl(server), { key: server.account.apiKey });
    const tw = new TwilioStreamClient(ws);
    await tw.connected();
    await tw.start({ callSid, customParameters: { From: '+15550001111', To: '+15550002222', Direction: 'inbound', campaign: 'spring' } });

    const n = 150;
    const inbound = track(n, 11);
    const outbound = track(n, 22);
    // Inbound: 400 ms sent nothing (frames 50-69), 30/31 swapped, 80-82 reversed, 100 twice,
    // 120 arriving 300 ms late (after 135: beyond the 200 ms window, so dropped).
    const inSlots: number[][] = Array.from({ length: n }, (_, k) => [k]);
    for (let k = 50; k < 70; k++) inSlots[k] = [];
    inSlots[30] = [31];
    inSlots[31] = [30];
    inSlots[80] = [82];
    inSlots[82] = [80];
    inSlots[100] = [100, 100];
    inSlots[120] = [];
    inSlots[135] = [135, 120];
    // Outbound: 400 ms gap at 90-109, 10/11 swapped.
    const outSlots: number[][] = Array.from({ length: n }, (_, k) => [k]);
    for (let k = 90; k < 110; k++) outSlots[k] = [];
    outSlots[10] = [11];
    outSlots[11] = [10];

    for (let slot = 0; slot < n; slot++) {
      for (const k of inSlots[slot]) await tw.media('inbound', k * 20, inbound[k]);
      for (const k of outSlots[slot]) await tw.media('outbound', k * 20, outbound[k]);
      if (slot === 75) await tw.dtmf('5');
      if (slot === 76) await tw.mark('prompt-1');
    }
    await tw.stop(callSid);
    const { code } = await closed(ws);
    expect(code).toBe(1000);

    const rec = await recordingOfCall(server, callSid);
    const done = await waitForRecording(server, rec.id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 2, sample_rate: 8000, call_id: callSid, source: 'automatic' });
    expect(done.dtmf_events).toHaveLength(1);
    expect(done.dtmf_events[0]).toMatchObject({ digit: '5', channel: 1 });
    expect(done.dtmf_events[0].start).toBeGreaterThanOrEqual(1.5);
    expect(done.dtmf_events[0].start).toBeLessThan(1.8);

    const wav = readPcmWav((await download(done.media_urls.wav)).body);
    const [ch1, ch2] = channelsOf(wav.samples, 2);
    const want1 = expected(inbound, (k) => !(k >= 50 && k < 70) && k !== 120);
    const want2 = expected(outbound, (k) => !(k >= 90 && k < 110));
    const start = findExact(ch1, want1.subarray(0, FRAME));
    expect(start).toBeGreaterThanOrEqual(0);
    // Both tracks share the call timeline: the same stream time is the same sample on both channels.
    expect(findExact(ch2, want2.subarray(0, FRAME))).toBe(start);
    expect(ch1.subarray(0, start).every((s) => s === 0)).toBe(true);
    for (let k = 0; k < n; k++) {
      expect(Array.from(ch1.subarray(start + k * FRAME, start + (k + 1) * FRAME)), `inbound frame ${k}`).toEqual(Array.from(want1.subarray(k * FRAME, (k + 1) * FRAME)));
      expect(Array.from(ch2.subarray(start + k * FRAME, start + (k + 1) * FRAME)), `outbound frame ${k}`).toEqual(Array.from(want2.subarray(k * FRAME, (k + 1) * FRAME)));
    }
    expect(ch1.length).toBe(start + n * FRAME);

    const call = await (await server.api(`/calls/${callSid}`)).json();
    expect(call).toMatchObject({ call_id: callSid, ingest: 'stream', status: 'completed', from: '+15550001111', to: '+15550002222', direction: 'inbound' });
    expect(call.custom_parameters).toMatchObject({ campaign: 'spring' });
  });

  it('ignores malformed frames without dropping the call, and still records what is valid', async () => {
    const callSid = uid();
    const ws = await openSocket(streamUrl(server), { key: server.account.apiKey });
    const tw = new TwilioStreamClient(ws);
    await tw.connected();
    const frames = track(50, 33);
    await tw.media('inbound', 0, frames[0]); // media before start
    await tw.start({ callSid, tracks: ['inbound'] });
    await tw.send('not json at all {');
    await tw.send('[1,2,3]');
    await tw.send({ event: 'wiggle', wiggle: {} });
    await tw.send({ event: 'media', media: { track: 'inbound', timestamp: '0', payload: '!!!not base64!!!' } });
    await tw.send({ event: 'media', media: { track: 'sideways', timestamp: '0', payload: 'AAAA' } });
    await tw.send({ event: 'media', media: { track: 'inbound', timestamp: 'soon', payload: 'AAAA' } });
    await tw.send({ event: 'media', media: { track: 'inbound', timestamp: String(10 * 3600 * 1000), payload: 'AAAA' } });
    await tw.send({ event: 'media' });
    await tw.send({ event: 'dtmf', dtmf: { digit: 'XY' } });
    await tw.send({ event: 'media', media: { track: 'inbound', timestamp: '0', payload: 'A'.repeat(100 * 1024) } }); // over the 64 KB frame limit
    await new Promise<void>((resolve, reject) => ws.send(Buffer.from([1, 2, 3]), { binary: true }, (err) => (err ? reject(err) : resolve())));
    for (let k = 0; k < frames.length; k++) await tw.media('inbound', k * 20, frames[k]);
    await tw.stop(callSid);
    expect((await closed(ws)).code).toBe(1000);

    const done = await waitForRecording(server, (await recordingOfCall(server, callSid)).id, 30_000);
    expect(done.status).toBe('completed');
    const [ch1, ch2] = channelsOf(readPcmWav((await download(done.media_urls.wav)).body).samples, 2);
    const want = expected(frames, () => true);
    const start = findExact(ch1, want.subarray(0, FRAME));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(Array.from(ch1.subarray(start, start + want.length))).toEqual(Array.from(want));
    // Only the inbound track was sent: channel 2 is silent.
    expect(ch2.every((s) => s === 0)).toBe(true);
    expect(server.app.streams!.totals.malformed).toBeGreaterThanOrEqual(4);
    expect(server.app.streams!.totals.oversized).toBeGreaterThanOrEqual(1);
  });

  it('ends the call when the socket closes without a stop event, and when frames stop for RTP_TIMEOUT', async () => {
    const a = uid();
    const wsA = await openSocket(streamUrl(server), { key: server.account.apiKey });
    const twA = new TwilioStreamClient(wsA);
    await twA.start({ callSid: a });
    for (let k = 0; k < 25; k++) await twA.media('inbound', k * 20, track(1, 40 + k)[0]);
    wsA.close();
    const doneA = await waitForRecording(server, (await recordingOfCall(server, a)).id, 30_000);
    expect(doneA).toMatchObject({ status: 'completed', duration: 1 });

    const b = uid();
    const wsB = await openSocket(streamUrl(server), { key: server.account.apiKey });
    const twB = new TwilioStreamClient(wsB);
    await twB.start({ callSid: b });
    for (let k = 0; k < 25; k++) await twB.media('outbound', k * 20, track(1, 70 + k)[0]);
    const t0 = Date.now();
    const { code, reason } = await closed(wsB); // RTP_TIMEOUT=2 in this server
    expect(code).toBe(1000);
    expect(reason).toBe('idle timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    const doneB = await waitForRecording(server, (await recordingOfCall(server, b)).id, 30_000);
    expect(doneB.status).toBe('completed');
  });

  it('refuses an unsupported media format (1003) and a second live stream of the same call (1008)', async () => {
    const ws = await openSocket(streamUrl(server), { key: server.account.apiKey });
    const tw = new TwilioStreamClient(ws);
    await tw.start({ callSid: uid(), mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 } });
    expect((await closed(ws)).code).toBe(1003);

    const callSid = uid();
    const first = new TwilioStreamClient(await openSocket(streamUrl(server), { key: server.account.apiKey }));
    await first.start({ callSid });
    await first.media('inbound', 0, track(1, 5)[0]);
    await recordingOfCall(server, callSid);
    const second = new TwilioStreamClient(await openSocket(streamUrl(server), { key: server.account.apiKey }));
    await second.start({ callSid });
    expect((await closed(second.ws)).code).toBe(1008);
    await first.stop(callSid);
    await closed(first.ws);
  });

  it('takes on-demand recording commands for a streamed call, like a SIPREC one', async () => {
    const callSid = uid();
    const tw = new TwilioStreamClient(await openSocket(streamUrl(server), { key: server.account.apiKey }));
    await tw.start({ callSid });
    const frames = track(100, 9);
    for (let k = 0; k < 50; k++) await tw.media('inbound', k * 20, frames[k]);
    await recordingOfCall(server, callSid);
    const res = await server.api(`/calls/${callSid}/recordings`, { method: 'POST', body: JSON.stringify({ track: 'inbound' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    const onDemand = await res.json();
    expect(onDemand).toMatchObject({ source: 'on-demand', status: 'in-progress', call_id: callSid });
    for (let k = 50; k < 100; k++) await tw.media('inbound', k * 20, frames[k]);
    await tw.stop(callSid);
    await closed(tw.ws);
    const done = await waitForRecording(server, onDemand.id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 1 });
    const list = await (await server.api(`/recordings?call_id=${callSid}`)).json();
    expect(list.total).toBe(2);
  });
});
