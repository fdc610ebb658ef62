import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backendNames, setupBackend, type Backend } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../helpers/processes.js';
import { noise, pcmWav } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { loadConfig } from '../../src/config.js';
import { createApp, type AppContext } from '../../src/wiring.js';
import { openDatabase } from '../../src/storage/db/database.js';
import { migrateToLatest } from '../../src/storage/db/migrator.js';
import { openBlobStore } from '../../src/storage/blob/open-blob-store.js';
import type { BlobStore } from '../../src/storage/blob/blob-store.js';
import { S3BlobStore } from '../../src/storage/blob/s3.js';
import { inspectUpload } from '../../src/recordings/upload-audio.js';
import { parseWavHeader } from '../../src/media/wav.js';
import { looksLikeMp3File } from '../../src/media/mp3-frames.js';

const MASTER = { k1: randomBytes(32).toString('base64'), k2: randomBytes(32).toString('base64') };
const CHUNK = 64 * 1024;

/** ENCRYPTION_* variables with these master keys, the last one active. */
function keys(...ids: Array<keyof typeof MASTER>): Record<string, string> {
  return { ENCRYPTION_MASTER_KEYS: ids.map((id) => `${id}:${MASTER[id]}`).join(','), ENCRYPTION_ACTIVE_KEY_ID: ids[ids.length - 1] };
}

/** The storage without any decryption: what an attacker with the disk or the bucket sees. */
function rawStore(backend: Backend): BlobStore {
  return openBlobStore(backend.env.STORAGE_URL);
}

async function readRaw(raw: BlobStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await raw.get(key)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function entropy(bytes: Buffer): number {
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b]++;
  let h = 0;
  for (const c of counts) if (c) h -= (c / bytes.length) * Math.log2(c / bytes.length);
  return h;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Pulls a download as far as it goes: a cut connection is an error, not a short body. */
async function tryDownload(url: string, init?: RequestInit): Promise<{ status: number; length: number; body: Buffer; failed: boolean }> {
  const res = await fetch(url, init);
  const length = Number(res.headers.get('content-length'));
  const parts: Buffer[] = [];
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
    return { status: res.status, length, body: Buffer.concat(parts), failed: false };
  } catch {
    return { status: res.status, length, body: Buffer.concat(parts), failed: true };
  }
}

/** Starts the service on an existing backend (a restart with other settings), without creating an account. */
async function startOn(backend: Backend, env: Record<string, string>): Promise<{ app: AppContext; baseUrl: string; api(path: string, key: string, init?: RequestInit): Promise<Response> }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 19000);
  const config = loadConfig({
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: baseUrl, SIP_PORT: '0', SIP_HOST: '127.0.0.1', RTP_PORT_MIN: String(rtpBase), RTP_PORT_MAX: String(rtpBase + 400),
    ...backend.env, ...env,
  });
  if (backend.name === 'postgres+s3') {
    const db = openDatabase(config.databaseUrl);
    await migrateToLatest(db.db);
    await db.close();
  }
  const app = await createApp(config);
  await app.start();
  return {
    app,
    baseUrl,
    api: (p, key, init = {}) => fetch(`${baseUrl}/v1/recordings${p}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-api-key': key } }),
  };
}

/** A TestServer-shaped handle for the recording helpers. */
function asServer(s: { api(path: string, key: string, init?: RequestInit): Promise<Response> }, key: string): TestServer {
  return { api: (p: string, init?: RequestInit) => s.api(p, key, init) } as unknown as TestServer;
}

describe.each(backendNames())('encryption at rest on %s', (backend) => {
  let server: TestServer;
  let raw: BlobStore;
  let upload: Buffer;
  let canonical: Buffer;
  let recording: any;
  const wavKey = () => `recordings/${server.account.accountId}/${recording.id}.wav`;

  beforeAll(async () => {
    // Redirect mode: with encryption on, downloads must still stream through the service.
    server = await startTestServer(backend, { env: { ...keys('k1'), MEDIA_DELIVERY: 'redirect' } });
    raw = rawStore(server.backend);
    // 8 kHz stereo, 6 s: 192,080 bytes of WAV, just under 3 chunks of 64 KiB.
    upload = pcmWav(noise(8000 * 2 * 6, 42), 8000, 2);
    canonical = inspectUpload(upload).rendition.bytes;
    recording = await waitForRecording(server, (await uploadAudio(server, upload)).id);
    expect(recording.status).toBe('completed');
  });
  afterAll(async () => {
    if (raw instanceof S3BlobStore) raw.close();
    await server?.close();
  });

  it('stores ciphertext: no RIFF header, no MP3 frames, high entropy, a tag per 64 KiB chunk', async () => {
    const storedWav = await readRaw(raw, wavKey());
    expect(storedWav.length).toBe(canonical.length + 16 * Math.ceil(canonical.length / CHUNK));
    expect(storedWav.subarray(0, 4).toString('latin1')).not.toBe('RIFF');
    expect(storedWav.includes(canonical.subarray(1000, 1064))).toBe(false);
    expect(entropy(storedWav)).toBeGreaterThan(7.99);
    const storedMp3 = await readRaw(raw, wavKey().replace(/\.wav$/, '.mp3'));
    expect(looksLikeMp3File(storedMp3)).toBe(false);
    expect(entropy(storedMp3)).toBeGreaterThan(7.9);
    // The recording's checksum is the audio's, not the ciphertext's.
    const head = await fetch(recording.media_urls.wav, { method: 'HEAD' });
    expect(head.headers.get('etag')).toBe(`"${sha256(canonical)}"`);
    expect(Number(head.headers.get('content-length'))).toBe(canonical.length);
  });

  it('downloads the audio itself (200, not a redirect to ciphertext), equal to the upload canonical WAV', async () => {
    const { res, body } = await download(recording.media_urls.wav, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(body.equals(canonical)).toBe(true);
    const mp3 = await download(recording.media_urls.mp3, { redirect: 'manual' });
    expect(mp3.res.status).toBe(200);
    expect(looksLikeMp3File(mp3.body)).toBe(true);
  });

  it('serves ranges exactly at, just before and just after chunk boundaries, across chunks, and 416 beyond the end', async () => {
    const size = canonical.length;
    const ranges: Array<[number, number]> = [
      [CHUNK - 1, CHUNK - 1], [CHUNK, CHUNK], [CHUNK - 1, CHUNK], [CHUNK + 1, CHUNK + 100], [0, CHUNK - 1], [CHUNK, 2 * CHUNK - 1],
      [CHUNK - 10, 2 * CHUNK + 10], [2 * CHUNK - 1, size - 1], [size - 1, size - 1], [0, size - 1],
    ];
    for (const [start, end] of ranges) {
      const { res, body } = await download(recording.media_urls.wav, { headers: { range: `bytes=${start}-${end}` } });
      expect(res.status, `bytes=${start}-${end}`).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(body.equals(canonical.subarray(start, end + 1)), `bytes=${start}-${end}`).toBe(true);
    }
    const suffix = await download(recording.media_urls.wav, { headers: { range: 'bytes=-70000' } });
    expect(suffix.body.equals(canonical.subarray(size - 70000))).toBe(true);
    const beyond = await fetch(recording.media_urls.wav, { headers: { range: `bytes=${size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
  });

  it('a single flipped stored byte makes the download fail and is logged; it never returns altered audio', async () => {
    const key = wavKey();
    const original = await readRaw(raw, key);
    const tampered = Buffer.from(original);
    const at = (CHUNK + 16) + 5000; // inside chunk 1
    tampered[at] ^= 0x04;
    await raw.put(key, tampered);
    const logged = vi.spyOn(server.app.log, 'error');
    try {
      const full = await tryDownload(recording.media_urls.wav);
      expect(full.failed || full.status >= 500 || full.body.length < full.length).toBe(true);
      expect(full.body.length).toBeLessThanOrEqual(CHUNK);
      expect(full.body.equals(canonical.subarray(0, full.body.length))).toBe(true);
      const ranged = await tryDownload(recording.media_urls.wav, { headers: { range: `bytes=${CHUNK + 10}-${CHUNK + 20}` } });
      // The bad chunk is the first one read: nothing was sent yet, so it is a plain 500.
      if (ranged.status === 206) expect(ranged.body.length).toBe(0);
      else expect(ranged.status).toBe(500);
      // The chunks around it still read.
      const other = await download(recording.media_urls.wav, { headers: { range: `bytes=${2 * CHUNK}-${2 * CHUNK + 99}` } });
      expect(other.body.equals(canonical.subarray(2 * CHUNK, 2 * CHUNK + 100))).toBe(true);
      const lines = logged.mock.calls.filter((c) => String(c[1]).includes('failed authentication'));
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines[0][0]).toMatchObject({ key, chunk: 1, tier: 'standard' });
      expect(await server.app.encryption!.verifyStored('standard', key)).toMatchObject({ encrypted: true, ok: false });
    } finally {
      logged.mockRestore();
      await raw.put(key, original);
    }
    expect(await server.app.encryption!.verifyStored('standard', key)).toMatchObject({ encrypted: true, ok: true });
    expect((await download(recording.media_urls.wav)).body.equals(canonical)).toBe(true);
  });

  it('customer key: validated, wraps new media; after processing only the key holder decrypts, with the README recipe', async () => {
    expect((await server.api('/encryption-key')).status).toBe(404);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const put = (pem: string) => server.api('/encryption-key', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ public_key_pem: pem }) });
    const tooSmall = await put(weak.publicKey);
    expect(tooSmall.status).toBe(400);
    expect((await tooSmall.json()).code).toBe('encryption_key_size');
    expect((await (await put(weak.privateKey)).json()).code).toBe('encryption_key_private');
    expect((await put('not a key')).status).toBe(400);

    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const set = await put(pair.publicKey);
    expect(set.status).toBe(200);
    const info = await set.json();
    expect(info).toMatchObject({ key_size: 2048, key_wrap: 'RSA-OAEP-SHA256', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await (await server.api('/encryption-key')).json()).toEqual(info);

    const samples = noise(8000 * 2 * 5, 7);
    const rec = await waitForRecording(server, (await uploadAudio(server, pcmWav(samples, 8000, 2))).id);
    expect(rec.status).toBe('completed');
    for (const format of ['wav', 'mp3'] as const) {
      expect(rec.encryption_details[format]).toMatchObject({ algorithm: 'AES-256-GCM-chunked', chunk_size: CHUNK, key_wrap: 'RSA-OAEP-SHA256', key_fingerprint: info.fingerprint });
    }
    // The service gave up its own copy: it can no longer read the audio.
    const key = `recordings/${server.account.accountId}/${rec.id}.wav`;
    await expect(readRaw(server.app.blobs, key)).rejects.toThrow(/only the key holder can decrypt/);
    // Downloads are the stored ciphertext, as is.
    const enc = await download(rec.media_urls.wav);
    expect(enc.res.status).toBe(200);
    expect(enc.res.headers.get('content-type')).toBe('application/octet-stream');
    expect(enc.res.headers.get('telefonie-encryption')).toBe('AES-256-GCM-chunked; key-wrap=RSA-OAEP-SHA256');
    expect(enc.res.headers.get('content-disposition')).toBe(`attachment; filename="${rec.id}.wav.enc"`);
    expect(enc.body.equals(await readRaw(raw, key))).toBe(true);
    expect(enc.res.headers.get('etag')).toBe(`"${sha256(enc.body)}"`);
    const part = await download(rec.media_urls.wav, { headers: { range: 'bytes=65540-65560' } });
    expect(part.res.status).toBe(206);
    expect(part.body.equals(enc.body.subarray(65540, 65561))).toBe(true);

    // The README's recipe, exactly as published, decrypts the downloads.
    const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
    const block = /<!-- decrypt-recipe:start -->\s*```js\n([\s\S]*?)```\s*<!-- decrypt-recipe:end -->/.exec(readme);
    expect(block).not.toBeNull();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-recipe-'));
    try {
      fs.writeFileSync(path.join(dir, 'decrypt-recording.mjs'), block![1]);
      fs.writeFileSync(path.join(dir, 'private.pem'), pair.privateKey);
      fs.writeFileSync(path.join(dir, 'recording.json'), JSON.stringify(await (await server.api(`/recordings/${rec.id}`)).json()));
      fs.writeFileSync(path.join(dir, `${rec.id}.wav.enc`), enc.body);
      fs.writeFileSync(path.join(dir, `${rec.id}.mp3.enc`), (await download(rec.media_urls.mp3)).body);
      const run = (format: string) =>
        new Promise<void>((resolve, reject) =>
          execFile(process.execPath, ['decrypt-recording.mjs', 'private.pem', 'recording.json', format, `${rec.id}.${format}.enc`, `${rec.id}.${format}`], { cwd: dir }, (err, _out, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
          ),
        );
      await run('wav');
      await run('mp3');
      const wav = fs.readFileSync(path.join(dir, `${rec.id}.wav`));
      const header = parseWavHeader(wav);
      expect(header).toMatchObject({ sampleRate: 8000, channels: 2, format: 'pcm16' });
      const decoded = new Int16Array(wav.buffer.slice(wav.byteOffset + header.dataOffset, wav.byteOffset + header.dataOffset + header.dataBytes));
      expect(decoded.length).toBe(samples.length);
      let mismatches = 0;
      for (let i = 0; i < samples.length; i++) if (decoded[i] !== samples[i]) mismatches++;
      expect(mismatches).toBe(0);
      expect(looksLikeMp3File(fs.readFileSync(path.join(dir, `${rec.id}.mp3`)))).toBe(true);
      // A flipped byte makes the recipe fail rather than write altered audio silently.
      const bad = Buffer.from(enc.body);
      bad[100] ^= 1;
      fs.writeFileSync(path.join(dir, `${rec.id}.wav.enc`), bad);
      await expect(run('wav')).rejects.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // Removing the key: new media is the service's to read again; sealed media stays sealed.
    expect((await server.api('/encryption-key', { method: 'DELETE' })).status).toBe(204);
    expect((await server.api('/encryption-key', { method: 'DELETE' })).status).toBe(404);
    const after = await waitForRecording(server, (await uploadAudio(server, upload)).id);
    expect(after.encryption_details).toBeUndefined();
    expect((await download(after.media_urls.wav)).body.equals(canonical)).toBe(true);
    expect((await download(rec.media_urls.wav)).res.headers.get('content-type')).toBe('application/octet-stream');
  });
});

describe.each(backendNames())('enabling encryption and rotating master keys on %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await setupBackend(backendName);
  });
  afterAll(async () => backend?.cleanup());

  it('recordings from before encryption still download; rotation re-wraps without touching files, and the old key can go', { timeout: 180_000 }, async () => {
    const raw = rawStore(backend);
    try {
      // 1. No encryption: a recording stored in plain.
      let s = await startOn(backend, {});
      const account = await s.app.accounts.createAccount('rotation');
      const wav = pcmWav(noise(8000 * 2 * 4, 3), 8000, 2);
      const canonical = inspectUpload(wav).rendition.bytes;
      const plainRec = await waitForRecording(asServer(s, account.apiKey), (await uploadAudio(asServer(s, account.apiKey), wav)).id);
      await s.app.stop();
      const plainKey = `recordings/${account.accountId}/${plainRec.id}.wav`;
      expect((await readRaw(raw, plainKey)).subarray(0, 4).toString('latin1')).toBe('RIFF');

      // 2. Encryption on with k1: the old recording still downloads; new ones are encrypted.
      s = await startOn(backend, keys('k1'));
      const url = async (id: string, format = 'wav') => (await (await s.api(`/recordings/${id}`, account.apiKey)).json()).media_urls[format];
      expect((await download(await url(plainRec.id))).body.equals(canonical)).toBe(true);
      const range = await download(await url(plainRec.id), { headers: { range: 'bytes=70000-70099' } });
      expect(range.body.equals(canonical.subarray(70000, 70100))).toBe(true);
      const encRec = await waitForRecording(asServer(s, account.apiKey), (await uploadAudio(asServer(s, account.apiKey), wav)).id);
      await s.app.stop();
      const encKeys = [`recordings/${account.accountId}/${encRec.id}.wav`, `recordings/${account.accountId}/${encRec.id}.mp3`];
      const before = await Promise.all(encKeys.map((k) => readRaw(raw, k)));
      expect(before[0].subarray(0, 4).toString('latin1')).not.toBe('RIFF');

      // 3. Without k1 configured, rotation refuses clearly.
      const cliEnv = (extra: Record<string, string>) => ({ ...backend.env, LOG_LEVEL: 'silent', ...extra });
      const refused = await runCli(['encryption', 'rotate'], cliEnv(keys('k2')));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/master key "k1" is not configured/);

      // 4. Rotate to k2 with both configured; again is a no-op.
      const rotated = await runCli(['encryption', 'rotate', '--batch-size', '1'], cliEnv(keys('k1', 'k2')));
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout.trim())).toEqual({ type: 'summary', active_key_id: 'k2', rewrapped: 2, skipped: 0 });
      const again = await runCli(['encryption', 'rotate'], cliEnv(keys('k1', 'k2')));
      expect(JSON.parse(again.stdout.trim())).toMatchObject({ rewrapped: 0 });
      const status = await runCli(['encryption', 'status'], cliEnv(keys('k1', 'k2')));
      expect(JSON.parse(status.stdout.trim())).toEqual({ active_key_id: 'k2', configured_key_ids: ['k1', 'k2'], objects_by_key: { k2: 2 } });

      // 5. The audio files are byte for byte what they were.
      const after = await Promise.all(encKeys.map((k) => readRaw(raw, k)));
      expect(after.every((b, i) => b.equals(before[i]))).toBe(true);

      // 6. With k1 removed from the configuration, everything still downloads.
      s = await startOn(backend, keys('k2'));
      expect((await download(await url(encRec.id))).body.equals(canonical)).toBe(true);
      const part = await download(await url(encRec.id), { headers: { range: `bytes=${CHUNK - 3}-${CHUNK + 3}` } });
      expect(part.body.equals(canonical.subarray(CHUNK - 3, CHUNK + 4))).toBe(true);
      expect((await download(await url(encRec.id, 'mp3'))).res.status).toBe(200);
      expect((await download(await url(plainRec.id))).body.equals(canonical)).toBe(true);
      await s.app.stop();
    } finally {
      if (raw instanceof S3BlobStore) raw.close();
    }
  });
});
