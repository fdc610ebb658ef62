import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { noise, pcmWav } from '../helpers/audio.js';
import { uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { runCli } from '../helpers/processes.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { mediaKey } from '../../src/recordings/recording.js';
import { openBlobStore } from '../../src/storage/blob/open-blob-store.js';
import type { BlobStore } from '../../src/storage/blob/blob-store.js';

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The JSON lines a CLI run printed. */
function lines(stdout: string): any[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function metric(server: TestServer, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe.each(backendNames())('integrity verification on %s', (backend) => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  const ids: string[] = [];
  let accountId: string;
  let original: Buffer;

  /** Replaces a stored object's bytes behind the service's back (put records nothing in the database). */
  async function overwrite(key: string, bytes: Buffer): Promise<void> {
    if (backend === 'sqlite+disk') fs.writeFileSync(path.join(server.backend.env.DATA_DIR, 'media', key), bytes);
    else await server.app.stores.standard.put(key, bytes);
  }

  beforeAll(async () => {
    server = await startTestServer(backend);
    accountId = server.account.accountId;
    receiver = await WebhookReceiver.start(0);
    const hook = await (await server.api('/webhooks', json({ url: receiver.url('/hooks'), events: ['recording.integrity_failed'] }))).json();
    receiver.setSecret('/hooks', hook.secret);
    for (let i = 0; i < 3; i++) ids.push((await uploadAudio(server, pcmWav(noise(8000, 300 + i), 8000, 1))).id);
    for (const id of ids) expect((await waitForRecording(server, id)).status).toBe('completed');
    original = await readAll(await server.app.stores.standard.get(mediaKey(accountId, ids[0], 'wav')));
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  it('verify --all on untouched media: every file matches, exit 0, recordings show integrity ok', async () => {
    const out = await runCli(['verify', '--all'], server.backend.env);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const printed = lines(out.stdout);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({ type: 'summary', mode: 'all', recordings: 3, files: 6, ok: 6, corrupt: 0, missing: 0, errors: 0, newly_failed: 0 });
    const rec = await (await server.api(`/recordings/${ids[0]}`)).json();
    expect(rec.integrity).toMatchObject({ status: 'ok' });
    expect(new Date(rec.integrity.checked_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect((await (await server.api('/recordings?integrity=ok')).json()).total).toBe(3);
    expect((await (await server.api('/recordings?integrity=failed')).json()).total).toBe(0);
  });

  it('one flipped byte in a stored WAV is caught: reported once, shown on the recording, listed by the filter, counted, webhooked once', async () => {
    const key = mediaKey(accountId, ids[0], 'wav');
    const flipped = Buffer.from(original);
    flipped[1000] ^= 0x01;
    await overwrite(key, flipped);

    const out = await runCli(['verify', '--all'], server.backend.env);
    expect(out.code).toBe(1);
    const printed = lines(out.stdout);
    const failures = printed.filter((l) => l.type === 'integrity_failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ recording_id: ids[0], account_id: accountId, status: 'corrupt', newly_failed: true });
    expect(failures[0].files).toHaveLength(1);
    expect(failures[0].files[0]).toMatchObject({ format: 'wav', key, result: 'corrupt', expected_bytes: original.length, actual_bytes: original.length });
    expect(failures[0].files[0].actual_sha256).not.toBe(failures[0].files[0].expected_sha256);
    expect(printed.at(-1)).toMatchObject({ type: 'summary', recordings: 3, files: 6, ok: 5, corrupt: 1, missing: 0, newly_failed: 1 });

    const rec = await (await server.api(`/recordings/${ids[0]}`)).json();
    expect(rec.integrity).toMatchObject({ status: 'corrupt' });
    expect(rec.integrity.detail).toContain('wav');
    const listed = await (await server.api('/recordings?integrity=corrupt')).json();
    expect(listed.recordings.map((r: any) => r.id)).toEqual([ids[0]]);
    expect((await (await server.api('/recordings?integrity=failed')).json()).total).toBe(1);

    // The failure gauge is sampled from the database, so a CLI run shows on the server's /metrics.
    expect(await metric(server, /telefonie_integrity_failed_recordings\{status="corrupt"\} (\d+)/)).toBe(1);

    // A second run sees the same failure: no second webhook.
    const again = await runCli(['verify', '--recording', ids[0]], server.backend.env);
    expect(again.code).toBe(1);
    expect(lines(again.stdout)[0]).toMatchObject({ type: 'integrity_failure', recording_id: ids[0], status: 'corrupt', newly_failed: false });

    await receiver.waitFor(() => receiver.events('/hooks', ids[0]).length >= 1, 30_000, 'the integrity_failed webhook');
    const event = receiver.events('/hooks', ids[0])[0].event;
    expect(event.type).toBe('recording.integrity_failed');
    expect(event.data.recording).toMatchObject({ id: ids[0], integrity: { status: 'corrupt' } });
    const deliveries = await (await server.api('/webhook-deliveries?event_type=recording.integrity_failed')).json();
    expect(deliveries.total).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.events('/hooks').length).toBe(1);
  });

  it('the scheduled job checks on the worker and counts files by result in telefonie_integrity_checks_total', async () => {
    const before = await metric(server, /telefonie_integrity_checks_total\{result="corrupt"\} (\d+)/);
    await server.app.jobs.send('integrity.verify', { mode: 'all' });
    const deadline = Date.now() + 20_000;
    while ((await metric(server, /telefonie_integrity_checks_total\{result="ok"\} (\d+)/)) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await metric(server, /telefonie_integrity_checks_total\{result="ok"\} (\d+)/)).toBe(5);
    expect(await metric(server, /telefonie_integrity_checks_total\{result="corrupt"\} (\d+)/)).toBe(before + 1);
    // Still one delivery: the job saw a failure already recorded.
    expect((await (await server.api('/webhook-deliveries?event_type=recording.integrity_failed')).json()).total).toBe(1);
  });

  it('a deleted object is reported missing; restored bytes check ok again', async () => {
    const mp3 = mediaKey(accountId, ids[1], 'mp3');
    const saved = await readAll(await server.app.stores.standard.get(mp3));
    await server.app.stores.standard.delete(mp3);
    const out = await runCli(['verify', '--recording', ids[1]], server.backend.env);
    expect(out.code).toBe(1);
    const [failure, summary] = lines(out.stdout);
    expect(failure).toMatchObject({ type: 'integrity_failure', recording_id: ids[1], status: 'missing', newly_failed: true, files: [{ format: 'mp3', result: 'missing', key: mp3 }] });
    expect(summary).toMatchObject({ type: 'summary', mode: 'recording', recordings: 1, files: 2, ok: 1, missing: 1 });
    expect((await (await server.api(`/recordings/${ids[1]}`)).json()).integrity).toMatchObject({ status: 'missing' });
    expect((await (await server.api('/recordings?integrity=missing')).json()).recordings.map((r: any) => r.id)).toEqual([ids[1]]);
    expect((await (await server.api('/webhook-deliveries?event_type=recording.integrity_failed')).json()).total).toBe(2);

    // Put both files back as they were: the next check clears the status.
    await server.app.stores.standard.put(mp3, saved);
    await overwrite(mediaKey(accountId, ids[0], 'wav'), original);
    for (const id of [ids[0], ids[1]]) await server.app.integrity.verify({ mode: 'recording', recordingId: id });
    expect((await (await server.api(`/recordings/${ids[0]}`)).json()).integrity.status).toBe('ok');
    expect((await (await server.api('/recordings?integrity=failed')).json()).total).toBe(0);
  });

  it('--sample N re-reads N random recordings; bad arguments and unknown ids fail clearly', async () => {
    const sample = await runCli(['verify', '--sample', '2'], server.backend.env);
    expect({ code: sample.code, stderr: sample.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(sample.stdout).at(-1)).toMatchObject({ type: 'summary', mode: 'sample', recordings: 2, files: 4, ok: 4 });
    const bad = await runCli(['verify', '--sample', 'many'], server.backend.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--sample needs a whole number');
    const unknown = await runCli(['verify', '--recording', 'RE00000000000000000000000000000000'], server.backend.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no recording');
  });
});

describe.each(backendNames())('integrity checks and exports of media encrypted at rest on %s', (backend) => {
  let server: TestServer;
  let raw: BlobStore;
  let serviceKeyed: string;
  let sealed: string;
  const key = (id: string, format: 'wav' | 'mp3') => mediaKey(server.account.accountId, id, format);

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { ENCRYPTION_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`, ENCRYPTION_ACTIVE_KEY_ID: 'k1', MEDIA_DELIVERY: 'proxy' } });
    // The storage as it is, without decryption: what a disk or bucket tamperer touches.
    raw = openBlobStore(server.backend.env.STORAGE_URL);
    serviceKeyed = (await uploadAudio(server, pcmWav(noise(16000, 901), 8000, 1))).id;
    expect((await waitForRecording(server, serviceKeyed)).status).toBe('completed');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect((await server.api('/encryption-key', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ public_key_pem: pair.publicKey }) })).status).toBe(200);
    sealed = (await uploadAudio(server, pcmWav(noise(16000, 902), 8000, 1))).id;
    expect((await waitForRecording(server, sealed)).status).toBe('completed');
  });
  afterAll(async () => {
    (raw as { close?: () => void })?.close?.();
    await server?.close();
  });

  it('untouched encrypted media checks ok, sealed media included (by the SHA-256 of its stored bytes)', async () => {
    const report = await server.app.integrity.verify({ mode: 'all' });
    expect(report).toMatchObject({ recordings: 2, files: 4, ok: 4, corrupt: 0, skipped: 0, errors: 0 });
  });

  it('an export carries sealed media as stored (.enc), listed with the SHA-256 of those bytes', async () => {
    const created = await (await server.api('/exports', json({ filter: { recording_ids: [sealed, serviceKeyed] } }))).json();
    let done: any;
    for (let i = 0; i < 400 && done?.status !== 'completed' && done?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      done = await (await server.api(`/exports/${created.id}`)).json();
    }
    expect(done).toMatchObject({ status: 'completed', total: 2 });
    const bundle = Buffer.from(await (await fetch(done.download_url)).arrayBuffer());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-sealed-export-'));
    try {
      fs.writeFileSync(path.join(dir, 'b.tar'), bundle);
      execFileSync('tar', ['-xf', 'b.tar'], { cwd: dir });
      const root = path.join(dir, done.id);
      const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'));
      const paths = manifest.files.map((f: any) => f.path);
      expect(paths).toContain(`recordings/${sealed}/${sealed}.wav.enc`);
      expect(paths).toContain(`recordings/${serviceKeyed}/${serviceKeyed}.wav`);
      const stored = await readAll(await raw.get(key(sealed, 'wav')));
      expect(fs.readFileSync(path.join(root, 'recordings', sealed, `${sealed}.wav.enc`)).equals(stored)).toBe(true);
      // The service-keyed recording's audio is the plaintext, as its media URL serves it.
      const plain = await (await fetch((await (await server.api(`/recordings/${serviceKeyed}`)).json()).media_urls.wav)).arrayBuffer();
      expect(fs.readFileSync(path.join(root, 'recordings', serviceKeyed, `${serviceKeyed}.wav`)).equals(Buffer.from(plain))).toBe(true);
      expect(spawnSync('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: root }).status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one flipped byte in a stored encrypted file is corrupt: the decrypting read fails authentication', async () => {
    const k = key(serviceKeyed, 'wav');
    const bytes = await readAll(await raw.get(k));
    bytes[2000] ^= 0x01;
    await raw.put(k, bytes);
    const report = await server.app.integrity.verify({ mode: 'recording', recordingId: serviceKeyed });
    expect(report).toMatchObject({ files: 2, ok: 1, corrupt: 1, newlyFailed: 1 });
    const rec = await (await server.api(`/recordings/${serviceKeyed}`)).json();
    expect(rec.integrity.status).toBe('corrupt');
    expect(rec.integrity.detail).toMatch(/wav .*authentication/);
  });

  it('one flipped byte in sealed media is corrupt too, found without any key', async () => {
    const k = key(sealed, 'mp3');
    const bytes = await readAll(await raw.get(k));
    bytes[10] ^= 0x80;
    await raw.put(k, bytes);
    const report = await server.app.integrity.verify({ mode: 'recording', recordingId: sealed });
    expect(report).toMatchObject({ files: 2, ok: 1, corrupt: 1 });
    const rec = await (await server.api(`/recordings/${sealed}`)).json();
    expect(rec.integrity).toMatchObject({ status: 'corrupt' });
    expect(rec.integrity.detail).toContain('stored (encrypted) bytes differ');
    expect((await (await server.api('/recordings?integrity=corrupt')).json()).total).toBe(2);
  });
});
