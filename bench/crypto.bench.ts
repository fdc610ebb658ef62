// npm run bench:crypto [-- --minutes 60 --runs 7]
// Download throughput of a 60-minute 8 kHz stereo WAV (115 MB) through the service, encrypted at
// rest versus plain, in the same run and the same server process: one recording is stored before
// encryption is enabled (plain on disk), the other after (AES-256-GCM chunks), then both are
// downloaded in turns. Prints the median MB/s of each and their ratio (target: encrypted >= 70%).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/storage/db/database.js';
import { migrateToLatest } from '../src/storage/db/migrator.js';
import { KyselyAccountRepository } from '../src/storage/db/accounts.repo.js';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { systemClock } from '../src/clock.js';
import { wavHeaderFixed } from '../src/media/wav.js';
import { freePort } from '../test/helpers/ports.js';
import { startProcess, stopProcess } from './lib/spawn.js';
import { cpuSeconds } from './lib/proc-cpu.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '60' }, runs: { type: 'string', default: '7' } } });
const minutes = Number(values.minutes);
const runs = Number(values.runs);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-bench-crypto-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  DATA_DIR: dataDir,
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_URL: base,
  SIP_PORT: '0',
  MEDIA_URL_SECRET: 'bench-secret-0123456789',
  LOG_LEVEL: 'warn',
  ROLES: 'api,worker',
};
const encryptionEnv = { ENCRYPTION_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`, ENCRYPTION_ACTIVE_KEY_ID: 'bench' };

/** A WAV of pseudo-random 16-bit stereo noise at 8 kHz (noise, so nothing compresses or repeats). */
function noiseWav(seconds: number): Buffer {
  const dataBytes = seconds * 8000 * 2 * 2;
  const out = Buffer.allocUnsafe(80 + dataBytes);
  wavHeaderFixed({ sampleRate: 8000, channels: 2, dataBytes }).copy(out, 0);
  const words = new Uint32Array(out.buffer, out.byteOffset + 80, dataBytes / 4);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Keep samples well inside 16 bits, like real audio.
    words[i] = (x >>> 0) & 0x3fff3fff;
  }
  return out;
}

async function uploadAndWait(apiKey: string, body: Buffer): Promise<{ id: string; url: string }> {
  const res = await fetch(`${base}/v1/recordings/recordings`, { method: 'POST', body, headers: { 'x-api-key': apiKey, 'content-type': 'audio/wav' } });
  const created = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(created)}`);
  for (;;) {
    const rec = (await (await fetch(`${base}/v1/recordings/recordings/${created.id}`, { headers: { 'x-api-key': apiKey } })).json()) as {
      status: string;
      media_urls?: { wav: string };
    };
    if (rec.status === 'completed') return { id: created.id, url: rec.media_urls!.wav };
    if (rec.status !== 'in-progress') throw new Error(`recording ${created.id} ${rec.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Downloads a URL, discarding the bytes; returns bytes and seconds. */
function timedDownload(url: string): Promise<{ bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(url, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ bytes, seconds: (performance.now() - t0) / 1000 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const handle = openDatabase(`sqlite://${path.join(dataDir, 'telefonie.db')}`);
await migrateToLatest(handle.db);
const { apiKey } = await new AccountsService(new KyselyAccountRepository(handle.db), systemClock, 5).createAccount('bench');
await handle.close();

const wav = noiseWav(minutes * 60);
console.log(`${minutes}-minute 8 kHz stereo WAV: ${(wav.length / 1e6).toFixed(1)} MB; ${runs} downloads of each, in turns`);
try {
  // The plain recording is stored before encryption is enabled, the encrypted one after: the
  // same server process then serves both (a plain file has no envelope and is read as is).
  let server = await startProcess('bin/serve', env, `${base}/healthz`);
  const t0 = performance.now();
  const plain = await uploadAndWait(apiKey, wav);
  console.log(`stored the plain recording in ${((performance.now() - t0) / 1000).toFixed(1)} s (upload + MP3)`);
  await stopProcess(server);
  server = await startProcess('bin/serve', { ...env, ...encryptionEnv }, `${base}/healthz`);
  const t1 = performance.now();
  const encrypted = await uploadAndWait(apiKey, wav);
  console.log(`stored the encrypted recording in ${((performance.now() - t1) / 1000).toFixed(1)} s (upload + MP3)`);
  // Check what is on disk: the baseline must really be plain, the other really ciphertext.
  const head = (id: string) => {
    const fd = fs.openSync(path.join(dataDir, 'media', 'recordings', fs.readdirSync(path.join(dataDir, 'media', 'recordings'))[0], `${id}.wav`), 'r');
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, 0);
    fs.closeSync(fd);
    return b.toString('latin1');
  };
  if (head(plain.id) !== 'RIFF' || head(encrypted.id) === 'RIFF') throw new Error('expected one plain and one encrypted file on disk');
  try {
    const mbps: Record<'plain' | 'encrypted', number[]> = { plain: [], encrypted: [] };
    // Server CPU per MB too: on a shared machine wall-clock throughput swings with other load,
    // the CPU the server spends per MB does much less.
    const cpuMs: Record<'plain' | 'encrypted', number[]> = { plain: [], encrypted: [] };
    // One warm-up each (page cache, JIT), then alternate so load drift hits both alike.
    await timedDownload(plain.url);
    await timedDownload(encrypted.url);
    for (let i = 0; i < runs; i++) {
      for (const [kind, rec] of (i % 2 ? [['encrypted', encrypted], ['plain', plain]] : [['plain', plain], ['encrypted', encrypted]]) as Array<['plain' | 'encrypted', { url: string }]>) {
        const cpu0 = cpuSeconds(server.pid!);
        const { bytes, seconds } = await timedDownload(rec.url);
        if (bytes !== wav.length) throw new Error(`${kind} download returned ${bytes} bytes, expected ${wav.length}`);
        mbps[kind].push(bytes / 1e6 / seconds);
        cpuMs[kind].push(((cpuSeconds(server.pid!) - cpu0) * 1000) / (bytes / 1e6));
      }
    }
    const p = median(mbps.plain);
    const e = median(mbps.encrypted);
    console.log('');
    console.log('| download (60-min WAV, through the service) | median MB/s | runs (MB/s) |');
    console.log('|---|---:|---|');
    console.log(`| plain (baseline)      | ${p.toFixed(0)} | ${mbps.plain.map((x) => x.toFixed(0)).join(', ')} |`);
    console.log(`| encrypted at rest     | ${e.toFixed(0)} | ${mbps.encrypted.map((x) => x.toFixed(0)).join(', ')} |`);
    const cp = median(cpuMs.plain);
    const ce = median(cpuMs.encrypted);
    console.log('');
    console.log(`server CPU per MB served: plain ${cp.toFixed(2)} ms, encrypted ${ce.toFixed(2)} ms (CPU-bound throughput ratio ${((cp / ce) * 100).toFixed(0)}%)`);
    console.log(`encrypted / plain: ${((e / p) * 100).toFixed(0)}% (target >= 70%) ${e / p >= 0.7 ? 'PASS' : 'BELOW TARGET'}`);
  } finally {
    await stopProcess(server);
  }
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
