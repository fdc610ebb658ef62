import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runCli, startServerProcess, waitForUrl, type ServerProcess } from '../helpers/processes.js';
import { noise, pcmWav } from '../helpers/audio.js';

describe('the telefonie command and a server process on embedded defaults', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-cli-'));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info', SIP_PORT: '0' };
  let port: number;
  let server: ServerProcess;
  let baseUrl: string;
  beforeAll(async () => {
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = startServerProcess({ ...env, PORT: String(port), HOST: '127.0.0.1' });
    await waitForUrl(`${baseUrl}/healthz`);
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(process.platform !== 'linux')('npm start runs node itself (same pid, so signals reach it) with the allocator keeping freed memory', () => {
    const pid = server.child.pid!;
    expect(fs.realpathSync(`/proc/${pid}/exe`)).toBe(fs.realpathSync(process.execPath));
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toEqual(expect.arrayContaining(['MALLOC_TRIM_THRESHOLD_=67108864', 'MALLOC_TOP_PAD_=16777216', 'MALLOC_MMAP_THRESHOLD_=33554432']));
  });

  it('accounts create prints exactly one JSON line whose key works against the running server', async () => {
    const out = await runCli(['accounts', 'create', 'acme'], env);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const created = JSON.parse(lines[0]);
    expect(created.account_id).toMatch(/^AC[0-9a-f]{32}$/);
    expect(created.api_key).toMatch(/^tr_KY/);
    const res = await fetch(`${baseUrl}/v1/recordings/recordings`, { headers: { 'x-api-key': created.api_key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ recordings: [], total: 0 });
  });

  it('keys create issues a second key; keys revoke makes it fail', async () => {
    const account = JSON.parse((await runCli(['accounts', 'create', 'beta'], env)).stdout);
    const second = await runCli(['keys', 'create', account.account_id], env);
    expect(second.code).toBe(0);
    const key = JSON.parse(second.stdout.trim());
    expect(key.account_id).toBe(account.account_id);
    expect((await fetch(`${baseUrl}/v1/recordings/recordings`, { headers: { 'x-api-key': key.api_key } })).status).toBe(200);
    const revoked = await runCli(['keys', 'revoke', key.key_id], env);
    expect(revoked.code).toBe(0);
    // Another process revoked it: the server notices within API_KEY_CACHE_SECONDS (5 s by default).
    const deadline = Date.now() + 8000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await fetch(`${baseUrl}/v1/recordings/recordings`, { headers: { 'x-api-key': key.api_key } })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(401);
    expect((await fetch(`${baseUrl}/v1/recordings/recordings`, { headers: { 'x-api-key': account.api_key } })).status).toBe(200);
  });

  it('reports bad arguments and unknown ids clearly', async () => {
    const unknown = await runCli(['keys', 'create', 'AC00000000000000000000000000000000'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no account');
    const usage = await runCli(['accounts', 'create'], env);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('usage: telefonie accounts create NAME');
  });

  it('stores its data under DATA_DIR: SQLite file and media directory', () => {
    expect(fs.existsSync(path.join(dataDir, 'telefonie.db'))).toBe(true);
  });

  it('answers /healthz and /readyz, and logs JSON lines', async () => {
    expect(await (await fetch(`${baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${baseUrl}/readyz`)).json()).toEqual({ status: 'ready' });
    const firstLine = server.output().split('\n').find((l) => l.startsWith('{'))!;
    expect(JSON.parse(firstLine)).toHaveProperty('level');
  });

  it('on SIGTERM lets an in-flight upload finish, then exits 0', async () => {
    const account = JSON.parse((await runCli(['accounts', 'create', 'shutdown'], env)).stdout);
    const body = pcmWav(noise(8000 * 20, 5), 8000, 1);
    // Send the headers and half the body, signal, then the rest: the request must still succeed.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/v1/recordings/recordings?call_id=CA-sigterm', headers: { 'x-api-key': account.api_key, 'content-type': 'audio/wav', 'content-length': body.length } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, body.length / 2));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(body.length / 2)), 300);
      }, 200);
    });
    const result = await response;
    expect(result.status).toBe(201);
    expect(JSON.parse(result.body).call_id).toBe('CA-sigterm');
    expect(await server.exited).toBe(0);
  });
});

describe('configuration errors', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number'],
    [{ MEDIA_URL_TTL: '0' }, 'MEDIA_URL_TTL must be between'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must start with'],
    [{ ROLES: 'api,cooking' }, 'ROLES may contain'],
    [{ MEDIA_URL_SECRET: 'short' }, 'MEDIA_URL_SECRET must be at least 16'],
  ])('%o stops the server at boot with a clear message', async (bad, message) => {
    const proc = startServerProcess({ DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-cfg-')), SIP_PORT: '0', ...bad });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toContain(message);
  });
});
