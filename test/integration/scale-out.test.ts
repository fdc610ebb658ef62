import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/wiring.js';
import { SchemaVersionError } from '../../src/storage/db/migrator.js';
import { createTestBucket, createTestDatabase } from '../helpers/backends.js';
import { scaleBackendsAvailable } from '../helpers/scale-env.js';
import { runCli } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { interleaveChannels, noise, pcmWav, sine } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { NEW_RECORDING_STORAGE } from '../../src/recordings/recording.js';

const enabled = scaleBackendsAvailable('scale-out (PostgreSQL + S3)');

describe.skipIf(!enabled)('scale-out on PostgreSQL + S3 (s3rver)', () => {
  describe('migrations', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let dataDir: string;
    beforeAll(async () => {
      database = await createTestDatabase();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-mig-'));
    });
    afterAll(async () => {
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('refuses to start on a schema older than the code, then `telefonie migrate` fixes it', async () => {
      const env = { DATA_DIR: dataDir, DATABASE_URL: database.url, MEDIA_URL_SECRET: 'scale-secret-0123456789', LOG_LEVEL: 'silent' };
      await expect(createApp(loadConfig(env))).rejects.toThrow(SchemaVersionError);
      await expect(createApp(loadConfig(env))).rejects.toThrow(/Run "telefonie migrate"/);
      const first = await runCli(['migrate'], env);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout).applied.length).toBeGreaterThan(0);
      const second = await runCli(['migrate'], env);
      expect(JSON.parse(second.stdout).applied).toEqual([]);
      const app = await createApp(loadConfig(env));
      await app.database.close();
    });
  });

  describe('database connection loss', () => {
    let proxy: TcpProxy;
    let server: TestServer;
    let recordingId: string;
    beforeAll(async () => {
      const admin = new URL(process.env.TEST_DATABASE_URL!);
      proxy = new TcpProxy(admin.hostname, Number(admin.port || 5432));
      await proxy.start();
      const database = await createTestDatabase();
      const viaProxy = new URL(database.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      server = await startTestServer('postgres+s3', { env: { DATABASE_URL: viaProxy.toString() } });
      // The test server's own database is replaced by the proxied one; drop both at the end.
      const close = server.close;
      server.close = async () => {
        await close();
        await database.drop();
      };
      recordingId = (await waitForRecording(server, (await uploadAudio(server, pcmWav(noise(8000, 1), 8000, 1))).id)).id;
    });
    afterAll(async () => {
      await server?.close();
      await proxy?.stop();
    });

    it('answers 503 while the database is unreachable and recovers without a restart', async () => {
      expect((await server.api(`/recordings/${recordingId}`)).status).toBe(200);
      await proxy.cut();
      const list = await server.api('/recordings', { key: server.account.apiKey });
      expect(list.status).toBe(503);
      expect((await list.json()).code).toBe('database_unavailable');
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(503);
      // A by-id read may still come from the recording cache until the process has noticed
      // the lost connection (its notification listener's heartbeat: at most 5 s); then 503 too.
      const noticedBy = Date.now() + 8_000;
      let down = await server.api(`/recordings/${recordingId}`, { key: server.account.apiKey });
      while (down.status === 200 && Date.now() < noticedBy) {
        await new Promise((r) => setTimeout(r, 200));
        down = await server.api(`/recordings/${recordingId}`, { key: server.account.apiKey });
      }
      expect(down.status).toBe(503);
      expect((await down.json()).code).toBe('database_unavailable');
      await proxy.start();
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = (await server.api(`/recordings/${recordingId}`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    });
  });

  describe('S3 media delivery', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer('postgres+s3', { env: { MEDIA_DELIVERY: 'redirect', MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) } });
    });
    afterAll(async () => server?.close());

    it('redirects media URLs (302) to short-lived presigned bucket URLs, where ranges work', async () => {
      const wav = pcmWav(noise(16000, 8), 8000, 1);
      const rec = await waitForRecording(server, (await uploadAudio(server, wav)).id);
      const res = await fetch(rec.media_urls.wav, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(location).toContain('X-Amz-Signature=');
      expect(location).toMatch(/X-Amz-Expires=60/);
      const whole = await download(location);
      expect(whole.res.status).toBe(200);
      const followed = await download(rec.media_urls.wav);
      expect(followed.body.equals(whole.body)).toBe(true);
      const part = await download(rec.media_urls.wav, { headers: { range: 'bytes=100-199' } });
      expect(part.res.status).toBe(206);
      expect(part.body.equals(whole.body.subarray(100, 200))).toBe(true);
    });

    it('stores large media with multipart upload and records the SHA-256 of each object', async () => {
      // 60 s of 48 kHz stereo: 11.5 MB, more than one 8 MiB part.
      const big = pcmWav(interleaveChannels(sine(440, 60, 48000), sine(660, 60, 48000)), 48000, 2);
      const created = await uploadAudio(server, big);
      const rec = await waitForRecording(server, created.id, 60_000);
      expect(rec.status).toBe('completed');
      const stored = await server.app.repo.findById(server.account.accountId, rec.id);
      const wav = (await download(rec.media_urls.wav)).body;
      expect(wav.length).toBeGreaterThan(8 * 1024 * 1024);
      expect(stored!.media.wav!.sha256).toBe(createHash('sha256').update(wav).digest('hex'));
      const mp3 = (await download(rec.media_urls.mp3)).body;
      expect(stored!.media.mp3!.sha256).toBe(createHash('sha256').update(mp3).digest('hex'));
    });

    it('records a conversion that cannot succeed as failed, visible with its error', async () => {
      // A stored "MP3" whose frames are garbage: the conversion fails permanently, without retrying.
      const id = 'RE' + 'f'.repeat(32);
      const key = `recordings/${server.account.accountId}/${id}.mp3`;
      const garbage = Buffer.alloc(4000, 0x55);
      const stored = await server.app.blobs.put(key, garbage);
      const now = new Date();
      await server.app.repo.insert({
        id, accountId: server.account.accountId, callId: 'CA-broken', status: 'in-progress', source: 'upload', channels: 1, sampleRate: 8000, durationMs: 1000,
        errorCode: null, errorMessage: null, dateCreated: now, dateUpdated: now, media: { mp3: { key, bytes: stored.size, sha256: stored.sha256 } }, details: {}, ...NEW_RECORDING_STORAGE,
      });
      await server.app.jobs.send('recording.transcode', { recordingId: id }, { singletonKey: `transcode:${id}` });
      const rec = await waitForRecording(server, id);
      expect(rec.status).toBe('failed');
      expect(rec.error_code).toBe('audio_unrecognized');
      const deadline = Date.now() + 10_000;
      let failed: Awaited<ReturnType<typeof server.app.jobs.failed>> = [];
      while (Date.now() < deadline && !failed.some((j) => (j.payload as { recordingId: string }).recordingId === id)) {
        failed = await server.app.jobs.failed(50);
        await new Promise((r) => setTimeout(r, 200));
      }
      const job = failed.find((j) => (j.payload as { recordingId: string }).recordingId === id)!;
      expect(job.name).toBe('recording.transcode');
      expect(job.error).toContain('MP3');
    });
  });
});
