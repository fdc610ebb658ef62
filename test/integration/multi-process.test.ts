import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBucket, createTestDatabase } from '../helpers/backends.js';
import { scaleBackendsAvailable } from '../helpers/scale-env.js';
import { freePort } from '../helpers/ports.js';
import { runCli, startServerProcess, waitForUrl, type ServerProcess } from '../helpers/processes.js';
import { interleaveChannels, pcmWav, readPcmWav, sine } from '../helpers/audio.js';
import { parseS3Url, S3BlobStore } from '../../src/storage/blob/s3.js';

const enabled = scaleBackendsAvailable('multi-process (2 API + 1 worker)');

describe.skipIf(!enabled)('two API processes and one worker on one PostgreSQL database and one bucket', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let storageUrl: string;
  let dataDir: string;
  const processes: ServerProcess[] = [];
  const urls: string[] = [];
  let apiKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    storageUrl = await createTestBucket();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-multi-'));
    const shared = { DATABASE_URL: database.url, STORAGE_URL: storageUrl, MEDIA_URL_SECRET: 'multi-secret-0123456789', DATA_DIR: dataDir, LOG_LEVEL: 'warn', MEDIA_DELIVERY: 'proxy', SIP_PORT: '0' };
    expect((await runCli(['migrate'], shared)).code).toBe(0);
    apiKey = JSON.parse((await runCli(['accounts', 'create', 'multi'], shared)).stdout).api_key;
    for (const roles of ['api', 'api', 'worker']) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      processes.push(startServerProcess({ ...shared, ROLES: roles, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url }));
      urls.push(url);
    }
    await Promise.all(urls.map((u) => waitForUrl(`${u}/readyz`, 60_000)));
  });
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (i: number, p: string, init: RequestInit = {}) =>
    fetch(`${urls[i]}/v1/recordings${p}`, { ...init, headers: { 'x-api-key': apiKey, ...(init.headers as Record<string, string>) } });

  it('upload through the first, list and download through the second, delete through the first', async () => {
    const left = sine(440, 2, 8000);
    const right = sine(1000, 2, 8000);
    const upload = await call(0, '/recordings?call_id=CA-multi', { method: 'POST', body: pcmWav(interleaveChannels(left, right), 8000, 2), headers: { 'content-type': 'audio/wav' } });
    expect(upload.status).toBe(201);
    const { id } = await upload.json();

    // Only the worker process converts; the API processes have no worker role.
    let rec: any;
    const deadline = Date.now() + 30_000;
    do {
      rec = await (await call(1, `/recordings/${id}`)).json();
      if (rec.status === 'in-progress') await new Promise((r) => setTimeout(r, 200));
    } while (rec.status === 'in-progress' && Date.now() < deadline);
    expect(rec.status).toBe('completed');

    const listed = await (await call(1, '/recordings?call_id=CA-multi')).json();
    expect(listed.total).toBe(1);
    expect(listed.recordings[0].id).toBe(id);
    expect(rec.media_urls.wav.startsWith(urls[1])).toBe(true);
    const wav = readPcmWav(Buffer.from(await (await fetch(rec.media_urls.wav)).arrayBuffer()));
    expect(wav.samples.length).toBe(left.length * 2);
    expect((await fetch(rec.media_urls.mp3)).status).toBe(200);

    // The second process now holds the recording in its cache; a legal hold placed through
    // the first reaches it by NOTIFY (sent when the hold commits, before the first answers).
    expect((await call(1, `/recordings/${id}`)).status).toBe(200);
    const hold = await call(0, '/legal-holds', { method: 'POST', body: JSON.stringify({ reason: 'cache coherence', recording_ids: [id] }), headers: { 'content-type': 'application/json' } });
    expect(hold.status).toBe(201);
    expect((await (await call(1, `/recordings/${id}`)).json()).legal_hold).toBe(true);
    expect((await call(0, `/legal-holds/${(await hold.json()).id}/release`, { method: 'POST' })).status).toBe(200);
    expect((await (await call(1, `/recordings/${id}`)).json()).legal_hold).toBe(false);

    expect((await call(0, `/recordings/${id}`, { method: 'DELETE' })).status).toBe(204);
    for (const i of [0, 1]) expect((await call(i, `/recordings/${id}`)).status).toBe(404);
    expect(await (await call(1, '/recordings?call_id=CA-multi')).json()).toMatchObject({ total: 0 });
    expect((await fetch(rec.media_urls.wav)).status).toBe(404);
    const bucket = new S3BlobStore(parseS3Url(storageUrl));
    const left_over: string[] = [];
    for await (const item of bucket.list('recordings/')) left_over.push(item.key);
    bucket.close();
    expect(left_over).toEqual([]);
  });

  it('every process serves Prometheus metrics, the worker included', async () => {
    for (const url of urls) {
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toContain('# TYPE telefonie_http_requests_total counter');
      expect(text).toContain('telefonie_job_queue_depth');
      expect(text).toContain('telefonie_db_pool_connections{state="total"}');
    }
    const worker = await (await fetch(`${urls[2]}/metrics`)).text();
    expect(worker).toMatch(/telefonie_jobs_finished_total\{job="recording.transcode",outcome="completed"\} 1/);
    expect(worker).toMatch(/telefonie_storage_bytes_total\{direction="write"\} [1-9]/);
    // The worker has no API routes.
    expect((await fetch(`${urls[2]}/v1/recordings/recordings`, { headers: { 'x-api-key': apiKey } })).status).toBe(404);
  });
});
