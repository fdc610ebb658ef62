import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { buildWav, channelsOf, interleaveChannels, noise, pcmWav, readPcmWav, sine, toneStrength } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { alawEncode, mulawDecode, mulawEncode, alawDecode } from '../../src/media/g711.js';
import { Mp3StreamEncoder, decodeMp3 } from '../../src/media/mp3.js';

async function mp3Of(samples: Int16Array, sampleRate: number, channels: 1 | 2): Promise<Buffer> {
  const encoder = await Mp3StreamEncoder.create({ sampleRate, channels });
  return Buffer.concat([Buffer.from(encoder.encode(samples)), Buffer.from(encoder.finish())]);
}

/** Everything the service stores for an account, as storage keys, so "nothing left behind" can be checked. */
async function storedKeys(server: TestServer): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of server.app.blobs.list('recordings/')) keys.push(item.key);
  return keys;
}

describe.each(backendNames())('uploads on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { env: { MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) } });
  });
  afterAll(async () => server?.close());

  it('stores a dual-channel 8 kHz PCM WAV sample for sample, with an MP3 whose channels are not swapped', async () => {
    const left = sine(440, 3, 8000);
    const right = sine(1000, 3, 8000);
    const created = await uploadAudio(server, pcmWav(interleaveChannels(left, right), 8000, 2), 'audio/wav', '?call_id=CA-upload-1');
    expect(created).toMatchObject({ status: 'in-progress', source: 'upload', call_id: 'CA-upload-1', channels: 2 });
    expect(created.media_url).toBeUndefined();

    const done = await waitForRecording(server, created.id);
    expect(done).toMatchObject({ status: 'completed', channels: 2, duration: 3, sample_rate: 8000 });
    expect(done.media_url).toBe(done.media_urls.mp3);

    const wav = await download(done.media_urls.wav);
    expect(wav.res.status).toBe(200);
    expect(wav.res.headers.get('content-type')).toBe('audio/wav');
    const parsed = readPcmWav(wav.body);
    expect(parsed).toMatchObject({ sampleRate: 8000, channels: 2 });
    const [gotLeft, gotRight] = channelsOf(parsed.samples, 2);
    expect(Buffer.from(gotLeft.buffer).equals(Buffer.from(left.buffer))).toBe(true);
    expect(Buffer.from(gotRight.buffer).equals(Buffer.from(right.buffer))).toBe(true);

    const mp3 = await download(done.media_urls.mp3);
    expect(mp3.res.headers.get('content-type')).toBe('audio/mpeg');
    const decoded = await decodeMp3(mp3.body);
    expect(decoded.channels).toBe(2);
    expect(Math.abs(decoded.samples.length / 2 / 8000 - 3)).toBeLessThan(0.2);
    const [mp3Left, mp3Right] = channelsOf(decoded.samples, 2);
    expect(toneStrength(mp3Left, 440, 8000)).toBeGreaterThan(10 * toneStrength(mp3Left, 1000, 8000));
    expect(toneStrength(mp3Right, 1000, 8000)).toBeGreaterThan(10 * toneStrength(mp3Right, 440, 8000));
  });

  it.each([
    ['µ-law', 7, mulawEncode, mulawDecode],
    ['A-law', 6, alawEncode, alawDecode],
  ] as const)('converts a %s WAV to 16-bit PCM exactly as G.711 decodes it', async (_name, formatTag, encode, decode) => {
    const signal = noise(8000, 7);
    const encoded = encode(signal);
    const wav = buildWav({ data: Buffer.from(encoded), sampleRate: 8000, channels: 1, bitsPerSample: 8, formatTag });
    const done = await waitForRecording(server, (await uploadAudio(server, wav)).id);
    expect(done).toMatchObject({ status: 'completed', channels: 1, duration: 1 });
    const parsed = readPcmWav((await download(done.media_urls.wav)).body);
    expect(Array.from(parsed.samples)).toEqual(Array.from(decode(encoded)));
  });

  it.each([16000, 44100, 48000])('keeps a %i Hz mono WAV at its own rate', async (rate) => {
    const signal = sine(300, 1.5, rate);
    const done = await waitForRecording(server, (await uploadAudio(server, pcmWav(signal, rate, 1))).id);
    expect(done).toMatchObject({ status: 'completed', channels: 1, sample_rate: rate, duration: 2 });
    expect(readPcmWav((await download(done.media_urls.wav)).body).samples.length).toBe(signal.length);
    const mp3 = await decodeMp3((await download(done.media_urls.mp3)).body);
    expect(mp3.sampleRate).toBe(rate);
  });

  it('keeps an MP3 upload as sent and derives the WAV from it', async () => {
    const mp3 = await mp3Of(interleaveChannels(sine(500, 2, 16000), sine(1500, 2, 16000)), 16000, 2);
    const created = await uploadAudio(server, mp3, 'audio/mpeg');
    expect(created.channels).toBe(2);
    const done = await waitForRecording(server, created.id);
    expect(done).toMatchObject({ status: 'completed', channels: 2, sample_rate: 16000, duration: 2 });
    expect((await download(done.media_urls.mp3)).body.equals(mp3)).toBe(true);
    const wav = readPcmWav((await download(done.media_urls.wav)).body);
    const [l, r] = channelsOf(wav.samples, 2);
    expect(toneStrength(l, 500, 16000)).toBeGreaterThan(10 * toneStrength(l, 1500, 16000));
    expect(toneStrength(r, 1500, 16000)).toBeGreaterThan(10 * toneStrength(r, 500, 16000));
  });

  it('accepts multipart/form-data with a file part and a call_id field', async () => {
    const form = new FormData();
    form.append('call_id', 'CA-multipart');
    form.append('file', new Blob([pcmWav(sine(440, 1, 8000), 8000, 1)], { type: 'audio/wav' }), 'call.wav');
    const res = await server.api('/recordings', { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.call_id).toBe('CA-multipart');
    expect((await waitForRecording(server, body.id)).status).toBe('completed');
  });

  describe('bad input gets a precise 4xx and leaves nothing behind', () => {
    const valid = pcmWav(sine(440, 1, 8000), 8000, 1);
    const truncatedWav = valid.subarray(0, 44 + 1000);
    let corruptMp3: Buffer;
    let truncatedMp3: Buffer;
    beforeAll(async () => {
      const mp3 = await mp3Of(sine(440, 1, 8000), 8000, 1);
      // Overwrite more than a frame's length (144 bytes at 16 kbit/s, 8 kHz), so a frame header is destroyed.
      corruptMp3 = Buffer.from(mp3);
      corruptMp3.fill(0x42, 600, 900);
      truncatedMp3 = mp3.subarray(0, mp3.length - 37);
    });

    const cases: Array<[string, () => { body: BodyInit; type?: string }, number, string]> = [
      ['an empty body', () => ({ body: Buffer.alloc(0), type: 'audio/wav' }), 400, 'audio_empty'],
      ['a body that is not audio', () => ({ body: Buffer.from('hello, this is not audio at all'.repeat(10)), type: 'audio/wav' }), 400, 'audio_unrecognized'],
      ['a truncated WAV', () => ({ body: truncatedWav, type: 'audio/wav' }), 400, 'wav_truncated'],
      ['a corrupt MP3', () => ({ body: corruptMp3, type: 'audio/mpeg' }), 400, 'mp3_corrupt'],
      ['a truncated MP3', () => ({ body: truncatedMp3, type: 'audio/mpeg' }), 400, 'mp3_truncated'],
      ['24-bit WAV', () => ({ body: buildWav({ data: Buffer.alloc(300), sampleRate: 8000, channels: 1, bitsPerSample: 24 }), type: 'audio/wav' }), 400, 'wav_unsupported_format'],
      ['an unsupported content type', () => ({ body: valid, type: 'text/plain' }), 415, 'unsupported_media_type'],
      ['JSON instead of audio', () => ({ body: '{"a":1}', type: 'application/json' }), 415, 'unsupported_media_type'],
      ['a body over the limit', () => ({ body: Buffer.concat([valid, Buffer.alloc(3 * 1024 * 1024)]), type: 'audio/wav' }), 413, 'body_too_large'],
      ['multipart without a file part', () => {
        const form = new FormData();
        form.append('call_id', 'x');
        return { body: form };
      }, 400, 'missing_file'],
    ];

    it.each(cases)('%s', async (_name, make, status, code) => {
      const before = await (await server.api('/recordings?page_size=100')).json();
      const keysBefore = await storedKeys(server);
      const { body, type } = make();
      const res = await server.api('/recordings', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = await res.json();
      expect(problem).toMatchObject({ status, code });
      expect(problem.detail).toBeTruthy();
      const after = await (await server.api('/recordings?page_size=100')).json();
      expect(after.total).toBe(before.total);
      expect(await storedKeys(server)).toEqual(keysBefore);
      if (backend === 'sqlite+disk') {
        // No temporary or partial files linger in the media directory either.
        const mediaDir = path.join(server.backend.env.DATA_DIR, 'media');
        const partial = fs.existsSync(mediaDir) ? fs.readdirSync(mediaDir, { recursive: true }).filter((f) => String(f).includes('.partial-')) : [];
        expect(partial).toEqual([]);
      }
    });
  });
});
