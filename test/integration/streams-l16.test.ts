import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { channelsOf, interleaveChannels, noise, readPcmWav } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { closed, L16StreamClient, openSocket, recordingOfCall, streamUrl, TwilioStreamClient, UpgradeRefused } from '../helpers/stream-clients.js';
import { StreamTokens } from '../../src/ingest/ws/stream-token.js';

/** Index in `haystack` where `needle` occurs exactly, or -1. */
function findExact(haystack: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Asserts `channel` is leading silence followed by exactly `sent`, and nothing after. */
function expectExactly(channel: Int16Array, sent: Int16Array): void {
  const start = findExact(channel, sent.subarray(0, 200));
  expect(start).toBeGreaterThanOrEqual(0);
  expect(channel.subarray(0, start).every((s) => s === 0)).toBe(true);
  expect(channel.length - start).toBe(sent.length);
  expect(Buffer.from(channel.buffer, channel.byteOffset + start * 2, sent.length * 2).equals(Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength))).toBe(true);
}

function uid(prefix = 'fs'): string {
  return `${prefix}-${Math.random().toString(16).slice(2)}-${Date.now().toString(16)}`;
}

describe.each(backendNames())('L16 media streams and stream authentication on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(async () => server?.close());

  it('records a mono 8 kHz stream (mod_audio_fork style) as a mono file, sample for sample, whatever the frame sizes', async () => {
    const uuid = uid();
    const ws = await openSocket(streamUrl(server), { key: server.account.apiKey, protocols: ['audio.drachtio.org'] });
    expect(ws.protocol).toBe('audio.drachtio.org');
    const l16 = new L16StreamClient(ws);
    await l16.metadata({ uuid, from: 'sip:alice@example.com', to: 'sip:bob@example.com', sampleRate: 8000, mixType: 'mono' });
    const sent = noise(2 * 8000, 101);
    // Odd sizes split samples across frames; the remainder carries over.
    await l16.pcm(sent, [320, 321, 159, 640, 1, 3]);
    ws.close();
    const done = await waitForRecording(server, (await recordingOfCall(server, uuid)).id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 1, sample_rate: 8000, call_id: uuid });
    const wav = readPcmWav((await download(done.media_urls.wav)).body);
    expect(wav.channels).toBe(1);
    expectExactly(wav.samples, sent);
    const call = await (await server.api(`/calls/${uuid}`)).json();
    expect(call).toMatchObject({ ingest: 'stream', from: 'sip:alice@example.com', to: 'sip:bob@example.com' });
  });

  it('records a stereo 16 kHz stream (jambonz listen style): left on channel 1, right on channel 2', async () => {
    const callSid = uid('jb');
    const ws = await openSocket(streamUrl(server), { key: server.account.apiKey, protocols: ['audio.jambonz.org'] });
    expect(ws.protocol).toBe('audio.jambonz.org');
    const l16 = new L16StreamClient(ws);
    await l16.metadata({ callSid, from: '+15550001', to: '+15550002', direction: 'inbound', sampleRate: 16000, mixType: 'stereo', accountSid: 'x', applicationSid: 'y' });
    const left = noise(3 * 16000, 7);
    const right = noise(3 * 16000, 8);
    // Frames that split stereo pairs and samples anywhere.
    await l16.pcm(interleaveChannels(left, right), [640, 642, 1, 5, 1278, 2]);
    await l16.text(JSON.stringify({ event: 'dtmf', dtmf: '7', duration: '250' }));
    ws.close();
    const done = await waitForRecording(server, (await recordingOfCall(server, callSid)).id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 2, sample_rate: 16000, duration: 3 });
    expect(done.dtmf_events).toEqual([expect.objectContaining({ digit: '7', channel: 1, duration: 0.25 })]);
    const wav = readPcmWav((await download(done.media_urls.wav)).body);
    expect(wav.sampleRate).toBe(16000);
    const [ch1, ch2] = channelsOf(wav.samples, 2);
    expectExactly(ch1, left);
    expectExactly(ch2, right);
  });

  it('starts from the URL settings when the first frame is binary, and refuses an unsupported sample rate (1003)', async () => {
    const callId = uid('q');
    const ws = await openSocket(streamUrl(server, { callId, sampleRate: '16000', mixType: 'mono' }), { key: server.account.apiKey });
    const sent = noise(16000, 55);
    await new L16StreamClient(ws).pcm(sent, [640]);
    ws.close();
    const done = await waitForRecording(server, (await recordingOfCall(server, callId)).id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 1, sample_rate: 16000 });
    expectExactly(readPcmWav((await download(done.media_urls.wav)).body).samples, sent);

    const bad = await openSocket(streamUrl(server), { key: server.account.apiKey });
    await new L16StreamClient(bad).metadata({ callSid: uid(), sampleRate: 44100, mixType: 'mono' });
    expect((await closed(bad)).code).toBe(1003);
  });

  it('rejects the upgrade with 401 without a credential, with a wrong key, an expired or a tampered token', async () => {
    const refused = async (url: string, key?: string) => {
      const err = await openSocket(url, { key }).then(
        (ws) => {
          ws.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UpgradeRefused);
      return err as UpgradeRefused;
    };
    expect(JSON.parse((await refused(streamUrl(server))).body)).toMatchObject({ status: 401, code: 'api_key_missing' });
    expect((await refused(streamUrl(server), 'tr_KYnope_nope')).status).toBe(401);
    const tokens = new StreamTokens(server.app.secret);
    const expired = tokens.mint(server.account.accountId, 60, Date.now() - 61_000).token;
    expect(JSON.parse((await refused(streamUrl(server, { token: expired }))).body)).toMatchObject({ code: 'stream_token_invalid' });
    const good = tokens.mint(server.account.accountId, 60).token;
    const parts = good.split('.');
    const otherAccount = [parts[0], 'ACffffffffffffffffffffffffffffffff', parts[2], parts[3]].join('.');
    const longer = [parts[0], parts[1], String(Number(parts[2]) + 3600), parts[3]].join('.');
    const flipped = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    for (const token of [otherAccount, longer, flipped, 'st1.garbage']) expect((await refused(streamUrl(server, { token }))).status).toBe(401);
    // A plain HTTP GET is told to upgrade.
    const plain = await fetch(`${server.baseUrl}/v1/recordings/streams`, { headers: { 'x-api-key': server.account.apiKey } });
    expect(plain.status).toBe(426);
  });

  it('mints stream tokens that authenticate a stream passed in the URL', async () => {
    const res = await server.api('/stream-tokens', { method: 'POST', body: JSON.stringify({ ttl: 120 }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    const minted = await res.json();
    expect(minted.url).toBe(`${server.baseUrl.replace(/^http/, 'ws')}/v1/recordings/streams?token=${encodeURIComponent(minted.token)}`);
    const ttl = (Date.parse(minted.expires_at) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(115);
    expect(ttl).toBeLessThanOrEqual(121);

    const defaults = await (await server.api('/stream-tokens', { method: 'POST' })).json();
    expect((Date.parse(defaults.expires_at) - Date.now()) / 1000).toBeGreaterThan(295);
    for (const ttl of [0, 3601, 'long']) {
      const bad = await server.api('/stream-tokens', { method: 'POST', body: JSON.stringify({ ttl }), headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(400);
    }
    expect((await server.api('/stream-tokens', { method: 'POST', key: null })).status).toBe(401);

    const callSid = uid('CA');
    const ws = await openSocket(minted.url);
    const tw = new TwilioStreamClient(ws);
    await tw.start({ callSid });
    await tw.media('inbound', 0, new Uint8Array(160).fill(0x55));
    await tw.stop(callSid);
    await closed(ws);
    const done = await waitForRecording(server, (await recordingOfCall(server, callSid)).id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.account_id).toBe(server.account.accountId);
  });
});
