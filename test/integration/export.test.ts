import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { noise, pcmWav } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { NEW_RECORDING_STORAGE, mediaKey } from '../../src/recordings/recording.js';
import { newId } from '../../src/ids.js';
import { KyselyTranscriptRepository } from '../../src/storage/db/transcripts.repo.js';

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const hasUnzip = spawnSync('unzip', ['-v']).status === 0;
if (!hasUnzip && process.env.CI === 'true') throw new Error('CI=true but `unzip` is missing: zip exports must be checked in CI');

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Polls an export until it is completed or failed. */
async function waitForExport(server: TestServer, id: string, timeoutMs = 60_000, onPoll?: (body: any) => void): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await (await server.api(`/exports/${id}`)).json();
    onPoll?.(body);
    if (body.status === 'completed' || body.status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`export ${id} still ${body.status} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every regular file under a directory, as paths relative to it. */
function walk(root: string, rel = ''): string[] {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(root, path.join(rel, e.name)) : [path.join(rel, e.name).split(path.sep).join('/')]));
}

/**
 * Checks an extracted bundle the way a recipient would: manifest.json lists every file with
 * the right size and SHA-256, nothing is unlisted, and `sha256sum -c MANIFEST.sha256` passes.
 */
function verifyBundle(root: string): any {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'));
  for (const f of manifest.files) {
    const bytes = fs.readFileSync(path.join(root, f.path));
    expect(bytes.length, f.path).toBe(f.bytes);
    expect(sha256(bytes), f.path).toBe(f.sha256);
  }
  const listed = new Set(manifest.files.map((f: any) => f.path));
  expect(walk(root).filter((p) => !listed.has(p)).sort()).toEqual(['MANIFEST.sha256', 'manifest.json']);
  const check = spawnSync('sha256sum', ['--strict', '-c', 'MANIFEST.sha256'], { cwd: root, encoding: 'utf8' });
  expect(check.status, check.stdout + check.stderr).toBe(0);
  expect(check.stdout.trim().split('\n')).toHaveLength(manifest.files.length + 1);
  return manifest;
}

describe.each(backendNames())('export bundles on %s', (backend) => {
  let server: TestServer;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-export-test-'));
  const ids: string[] = [];
  let firstExport: any;

  beforeAll(async () => {
    // proxy: downloads stream through the service on S3 too, so ranges and ETags are ours to check.
    server = await startTestServer(backend, { env: { MEDIA_DELIVERY: 'proxy' } });
    for (let i = 0; i < 30; i++) ids.push((await uploadAudio(server, pcmWav(noise(2000 + i * 10, 700 + i), 8000, 1), 'audio/wav', `?call_id=CA-export-${i % 3}`)).id);
    for (const id of ids) expect((await waitForRecording(server, id)).status).toBe('completed');
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('POST /exports answers 202 queued; the build shows progress and ends completed with a signed download URL', async () => {
    const res = await server.api('/exports', json({}));
    expect(res.status).toBe(202);
    const created = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/recordings/exports/${created.id}`);
    expect(created).toMatchObject({ status: 'queued', format: 'tar', filter: {}, include: { wav: true, mp3: true, transcripts: true }, done: 0, file_name: `${created.id}.tar` });
    expect(created.id).toMatch(/^EX[0-9a-f]{32}$/);
    expect(created.download_url).toBeUndefined();
    firstExport = await waitForExport(server, created.id);
    expect(firstExport).toMatchObject({ status: 'completed', total: 30, done: 30 });
    expect(firstExport.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(firstExport.download_url).toMatch(new RegExp(`^${server.baseUrl}/v1/recordings/exports/${created.id}/download\\?expires=\\d+&signature=`));
    expect(new Date(firstExport.download_expires_at).getTime()).toBeGreaterThan(Date.now());
    const list = await (await server.api('/exports')).json();
    expect(list).toMatchObject({ total: 1, page: 1 });
    expect(list.exports[0].id).toBe(created.id);
  });

  it('the tar extracts with the system tar and verifies against its manifest; metadata and audio are the recordings\'', async () => {
    const { res, body } = await download(firstExport.download_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${firstExport.id}.tar"`);
    expect(body.length).toBe(firstExport.bytes);
    expect(sha256(body)).toBe(firstExport.sha256);
    const file = path.join(tmp, 'first.tar');
    fs.writeFileSync(file, body);
    const out = fs.mkdtempSync(path.join(tmp, 'x-'));
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(fs.readdirSync(out)).toEqual([firstExport.id]);
    const root = path.join(out, firstExport.id);
    const manifest = verifyBundle(root);
    expect(manifest).toMatchObject({ format: 'telefonie-export', version: 1, export_id: firstExport.id, account_id: server.account.accountId, recording_count: 30, file_count: 90, filter: {}, missing: [] });
    expect(manifest.created_at).toBe(firstExport.date_created);

    for (const id of ids.slice(0, 5)) {
      const api = await (await server.api(`/recordings/${id}`)).json();
      const metadata = JSON.parse(fs.readFileSync(path.join(root, 'recordings', id, 'metadata.json'), 'utf8'));
      const { media_url, media_urls, ...rest } = api;
      expect(media_url).toBeDefined();
      expect(metadata).toEqual(rest);
      expect(fs.readFileSync(path.join(root, 'recordings', id, `${id}.wav`)).equals((await download(media_urls.wav)).body)).toBe(true);
      expect(fs.readFileSync(path.join(root, 'recordings', id, `${id}.mp3`)).equals((await download(media_urls.mp3)).body)).toBe(true);
    }
    // One altered byte and the checksum list says which file.
    const victim = path.join(root, 'recordings', ids[3], `${ids[3]}.wav`);
    const bytes = fs.readFileSync(victim);
    bytes[500] ^= 0x40;
    fs.writeFileSync(victim, bytes);
    const check = spawnSync('sha256sum', ['--quiet', '-c', 'MANIFEST.sha256'], { cwd: root, encoding: 'utf8' });
    expect(check.status).not.toBe(0);
    expect(check.stdout).toContain(`recordings/${ids[3]}/${ids[3]}.wav: FAILED`);
  });

  it('the download URL answers HEAD, a byte range and If-None-Match; a tampered or expired URL gets 403', async () => {
    const url = firstExport.download_url;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(firstExport.bytes));
    expect(head.headers.get('etag')).toBe(`"${firstExport.sha256}"`);
    const whole = (await download(url)).body;
    const part = await download(url, { headers: { range: 'bytes=512-1535' } });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe(`bytes 512-1535/${firstExport.bytes}`);
    expect(part.body.equals(whole.subarray(512, 1536))).toBe(true);
    expect((await fetch(url, { headers: { range: `bytes=${firstExport.bytes + 10}-` } })).status).toBe(416);
    expect((await fetch(url, { headers: { 'if-none-match': `"${firstExport.sha256}"` } })).status).toBe(304);
    const u = new URL(url);
    const sig = u.searchParams.get('signature')!;
    u.searchParams.set('signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const tampered = await fetch(u);
    expect(tampered.status).toBe(403);
    expect((await tampered.json()).code).toBe('export_url_invalid');
    const expired = new URL(url);
    expired.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 10));
    expect((await fetch(expired)).status).toBe(403);
    // Another export's id with this signature: 403 as well.
    expect((await fetch(url.replace(firstExport.id, newId('EX')))).status).toBe(403);
  });

  it('a rerun of the build job rebuilds the identical bundle under the same key', async () => {
    const key = `exports/${server.account.accountId}/${firstExport.id}.tar`;
    // As if a worker died mid-build: the export is back in the queue.
    await server.app.database.db.updateTable('exports').set({ status: 'queued' }).where('id', '=', firstExport.id).execute();
    expect(await server.app.exportBuilder.build(firstExport.id)).toBe('built');
    const again = await (await server.api(`/exports/${firstExport.id}`)).json();
    expect(again).toMatchObject({ status: 'completed', sha256: firstExport.sha256, bytes: firstExport.bytes, total: 30, done: 30 });
    expect(sha256(await readAll(await server.app.stores.standard.get(key)))).toBe(firstExport.sha256);
    // A completed export is left alone.
    expect(await server.app.exportBuilder.build(firstExport.id)).toBe('skipped');
  });

  it.skipIf(!hasUnzip)('zip bundles with a filter: only the matching recordings, and unzip tests every CRC', async () => {
    const res = await server.api('/exports', json({ format: 'zip', filter: { call_id: 'CA-export-1' }, include: { mp3: false } }));
    expect(res.status).toBe(202);
    const done = await waitForExport(server, (await res.json()).id);
    expect(done).toMatchObject({ status: 'completed', format: 'zip', total: 10, done: 10, filter: { call_id: 'CA-export-1' }, include: { wav: true, mp3: false } });
    const { res: dl, body } = await download(done.download_url);
    expect(dl.headers.get('content-type')).toBe('application/zip');
    const file = path.join(tmp, 'filtered.zip');
    fs.writeFileSync(file, body);
    expect(execFileSync('unzip', ['-t', file], { encoding: 'utf8' })).toContain('No errors detected');
    const out = fs.mkdtempSync(path.join(tmp, 'z-'));
    execFileSync('unzip', ['-q', file, '-d', out]);
    const manifest = verifyBundle(path.join(out, done.id));
    const expected = ids.filter((_, i) => i % 3 === 1).sort();
    expect([...new Set(manifest.files.map((f: any) => f.recording_id))].sort()).toEqual(expected);
    expect(manifest.files.some((f: any) => f.path.endsWith('.mp3'))).toBe(false);
    expect(manifest.file_count).toBe(20);
  });

  it('a recording with a completed transcript carries transcript.json and transcript.txt', async () => {
    const id = ids[4];
    const now = new Date();
    await new KyselyTranscriptRepository(server.app.database.db).save({
      id: newId('TR'), recordingId: id, accountId: server.account.accountId, status: 'completed', engine: 'test', language: 'en',
      text: 'Caller: hello export', segments: [{ channel: 1, speaker: 'Caller', start: 0, end: 1.5, text: 'hello export', confidence: 0.9, words: [] }],
      options: { redact: false, redactAudio: false }, redactions: [], redactedMedia: {}, errorCode: null, errorMessage: null, dateCreated: now, dateUpdated: now,
    });
    const done = await waitForExport(server, (await (await server.api('/exports', json({ filter: { recording_ids: [id, ids[5]] } }))).json()).id);
    expect(done).toMatchObject({ status: 'completed', total: 2 });
    const out = fs.mkdtempSync(path.join(tmp, 't-'));
    fs.writeFileSync(path.join(out, 'b.tar'), (await download(done.download_url)).body);
    execFileSync('tar', ['-xf', path.join(out, 'b.tar'), '-C', out]);
    const root = path.join(out, done.id);
    const manifest = verifyBundle(root);
    expect(manifest.include).toEqual({ wav: true, mp3: true, transcripts: true });
    expect(manifest.files.filter((f: any) => f.path.includes('transcript')).map((f: any) => f.path).sort()).toEqual([`recordings/${id}/transcript.json`, `recordings/${id}/transcript.txt`]);
    const transcript = JSON.parse(fs.readFileSync(path.join(root, 'recordings', id, 'transcript.json'), 'utf8'));
    expect(transcript).toMatchObject({ recording_id: id, status: 'completed', text: 'Caller: hello export' });
    expect(fs.readFileSync(path.join(root, 'recordings', id, 'transcript.txt'), 'utf8')).toBe('Caller: hello export\n');
  });

  it('missing media is listed under "missing"; media that no longer matches its SHA-256 fails the export', async () => {
    const gone = ids[7];
    const mp3Key = mediaKey(server.account.accountId, gone, 'mp3');
    const savedMp3 = await readAll(await server.app.stores.standard.get(mp3Key));
    await server.app.stores.standard.delete(mp3Key);
    const res = await server.api('/exports', json({ filter: { recording_ids: [gone] } }));
    const done = await waitForExport(server, (await res.json()).id);
    expect(done).toMatchObject({ status: 'completed', total: 1, done: 1 });
    const out = fs.mkdtempSync(path.join(tmp, 'm-'));
    fs.writeFileSync(path.join(out, 'b.tar'), (await download(done.download_url)).body);
    execFileSync('tar', ['-xf', path.join(out, 'b.tar'), '-C', out]);
    const manifest = verifyBundle(path.join(out, done.id));
    expect(manifest.files.map((f: any) => f.path).sort()).toEqual([`recordings/${gone}/${gone}.wav`, `recordings/${gone}/metadata.json`]);
    expect(manifest.missing).toEqual([{ path: `recordings/${gone}/${gone}.mp3`, recording_id: gone, format: 'mp3', reason: 'the stored object is missing' }]);
    await server.app.stores.standard.put(mp3Key, savedMp3);

    const bad = ids[8];
    const wavKey = mediaKey(server.account.accountId, bad, 'wav');
    const savedWav = await readAll(await server.app.stores.standard.get(wavKey));
    const flipped = Buffer.from(savedWav);
    flipped[100] ^= 0x01;
    await server.app.stores.standard.put(wavKey, flipped);
    const failing = await (await server.api('/exports', json({ filter: { recording_ids: [bad, ids[9]] } }))).json();
    const failed = await waitForExport(server, failing.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain(bad);
    expect(failed.error).toContain('SHA-256');
    expect(failed.download_url).toBeUndefined();
    // Nothing half-built is left behind.
    expect(await server.app.stores.standard.stat(`exports/${server.account.accountId}/${failing.id}.tar`)).toBeNull();
    await server.app.stores.standard.put(wavKey, savedWav);
  });

  it('validates requests, scopes exports to their account, and DELETE removes the bundle', async () => {
    expect((await server.api('/exports', json({ filter: { call: 'x' } }))).status).toBe(400);
    expect((await server.api('/exports', json({ format: 'rar' }))).status).toBe(400);
    expect((await server.api('/exports', json({ filter: { recording_ids: Array.from({ length: 1001 }, (_, i) => `RE${i}`) } }))).status).toBe(400);
    const range = await server.api('/exports', json({ filter: { date_created_after: '2026-02-01T00:00:00Z', date_created_before: '2026-01-01T00:00:00Z' } }));
    expect(range.status).toBe(400);
    expect((await range.json()).code).toBe('invalid_range');
    expect((await server.api('/exports', { ...json({}), key: null })).status).toBe(401);

    const other = await server.app.accounts.createAccount('other');
    expect((await server.api(`/exports/${firstExport.id}`, { key: other.apiKey })).status).toBe(404);
    expect((await server.api(`/exports/${firstExport.id}`, { method: 'DELETE', key: other.apiKey })).status).toBe(404);
    expect((await (await server.api('/exports', { key: other.apiKey })).json()).total).toBe(0);

    const key = `exports/${server.account.accountId}/${firstExport.id}.tar`;
    expect(await server.app.stores.standard.stat(key)).not.toBeNull();
    expect((await server.api(`/exports/${firstExport.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await server.app.stores.standard.stat(key)).toBeNull();
    expect((await server.api(`/exports/${firstExport.id}`)).status).toBe(404);
    expect((await fetch(firstExport.download_url)).status).toBe(404);
    expect((await server.api(`/exports/${firstExport.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe.each(backendNames())('an export of 1,000 recordings on %s', (backend) => {
  let server: TestServer;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-export-1000-'));
  const COUNT = 1000;
  // 128 KiB of audio per recording: 128 MiB of audio in the bundle, more than the memory the build may use.
  const wav = pcmWav(noise(64 * 1024, 99), 8000, 1);

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { MEDIA_DELIVERY: 'proxy' } });
    const accountId = server.account.accountId;
    // Every row names the same stored object: the bundle still carries 1,000 copies.
    const key = mediaKey(accountId, 'RE-shared', 'wav');
    const stored = await server.app.stores.standard.put(key, wav);
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < COUNT; i++) {
      await server.app.repo.insert({
        id: newId('RE', base + i), accountId, callId: `CA-bulk-${i}`, status: 'completed', source: 'upload', channels: 1, sampleRate: 8000, durationMs: 8192, errorCode: null, errorMessage: null,
        dateCreated: new Date(base + i), dateUpdated: new Date(base + i), details: {}, ...NEW_RECORDING_STORAGE,
        media: { wav: { key, bytes: stored.size, sha256: stored.sha256 } },
      });
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('builds with bounded memory, shows progress on the way, and verifies file by file', async () => {
    const rss = () => process.memoryUsage().rss;
    (globalThis as { gc?: () => void }).gc?.();
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 5);
    const created = await (await server.api('/exports', json({ include: { mp3: false } }))).json();
    const seen: any[] = [];
    const done = await waitForExport(server, created.id, 240_000, (b) => seen.push({ status: b.status, done: b.done, total: b.total }));
    clearInterval(sampler);
    expect(done).toMatchObject({ status: 'completed', total: COUNT, done: COUNT });
    expect(done.bytes).toBeGreaterThan(COUNT * wav.length);
    // Holding the recordings would take at least the bundle's size; streaming takes buffers
    // (S3 multipart parts, read chunks) and garbage not yet collected: about 40 MiB measured here.
    const growth = peak - before;
    expect(growth, `RSS grew ${Math.round(growth / 1048576)} MiB building a ${Math.round(done.bytes / 1048576)} MiB bundle`).toBeLessThan(done.bytes * 0.75);
    expect(seen.some((s) => s.status === 'building' && s.total === COUNT && s.done > 0 && s.done < COUNT), JSON.stringify(seen.slice(0, 50))).toBe(true);

    const file = path.join(tmp, 'bulk.tar');
    const res = await fetch(done.download_url);
    expect(res.status).toBe(200);
    const writer = fs.createWriteStream(file);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) if (!writer.write(chunk)) await new Promise((r) => writer.once('drain', r));
    await new Promise<void>((resolve) => writer.end(resolve));
    expect(fs.statSync(file).size).toBe(done.bytes);
    execFileSync('tar', ['-xf', file, '-C', tmp]);
    fs.rmSync(file);
    const manifest = verifyBundle(path.join(tmp, done.id));
    expect(manifest).toMatchObject({ recording_count: COUNT, file_count: 2 * COUNT, missing: [] });
    expect(manifest.files.filter((f: any) => f.path.endsWith('.wav')).every((f: any) => f.sha256 === sha256(wav))).toBe(true);
  }, 300_000);
});
