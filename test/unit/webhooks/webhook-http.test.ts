import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from '../../../src/webhooks/webhook-http.js';
import { freePort } from '../../helpers/ports.js';

describe('webhook HTTP attempts', () => {
  let server: http.Server;
  let base: string;
  const hits: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url!);
      req.resume();
      if (req.url === '/ok') res.writeHead(202).end('accepted');
      else if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/error') res.writeHead(500).end(`  database\n exploded ${'x'.repeat(1000)}`);
      // '/hang' never answers.
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('any 2xx is success', async () => {
    expect(await postWebhook(`${base}/ok`, '{}', { 'content-type': 'application/json' }, 2000)).toEqual({ statusCode: 202, error: null });
  });

  it('never follows a redirect: a 3xx is a failed attempt', async () => {
    hits.length = 0;
    expect(await postWebhook(`${base}/redirect`, '{}', {}, 2000)).toEqual({ statusCode: 302, error: 'HTTP 302' });
    expect(hits).toEqual(['/redirect']);
  });

  it('keeps the start of an error body, whitespace folded', async () => {
    const result = await postWebhook(`${base}/error`, '{}', {}, 2000);
    expect(result.statusCode).toBe(500);
    expect(result.error).toMatch(/^HTTP 500: database exploded x+$/);
    expect(result.error!.length).toBeLessThan(300);
  });

  it('times out, and reports refused connections', async () => {
    const started = Date.now();
    expect(await postWebhook(`${base}/hang`, '{}', {}, 300)).toEqual({ statusCode: null, error: 'timed out after 0.3 s' });
    expect(Date.now() - started).toBeLessThan(2000);
    const port = await freePort(); // below the ephemeral range, so no outgoing connection takes it meanwhile
    expect(await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, 2000)).toEqual({ statusCode: null, error: 'ECONNREFUSED' });
  });
});
