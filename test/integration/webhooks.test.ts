import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { pcmWav, sine } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver.js';
import { computeSignature } from '../../src/webhooks/webhook-signing.js';
import { newId } from '../../src/ids.js';
import type { Recording } from '../../src/recordings/recording.js';

async function json(res: Response): Promise<any> {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

async function createWebhook(server: TestServer, body: Record<string, unknown>, key?: string): Promise<any> {
  const res = await server.api('/webhooks', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, key });
  const created = await json(res);
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${JSON.stringify(created)}`);
  return created;
}

describe.each(backendNames())('webhooks on %s', (backend) => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start(2);
    // Retries after 1 s, 2 s, ... instead of 30 s, 60 s, ...: the schedule itself is unit-tested.
    server = await startTestServer(backend, { env: { WEBHOOK_RETRY_BASE_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('manages webhooks: validation, masked secrets, rotation, account scoping', async () => {
    const post = (body: unknown, key?: string) => server.api('/webhooks', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, key });
    for (const url of ['ftp://example.com/hook', 'file:///etc/passwd', 'javascript:alert(1)', '/relative', 'https://user:pw@example.com/']) {
      const res = await post({ url });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(res)).code).toBe('invalid_webhook_url');
    }
    const badEvent = await post({ url: 'https://example.com/a', events: ['recording.exploded'] });
    expect(badEvent.status).toBe(400);
    expect((await json(badEvent)).code).toBe('invalid_body');
    expect((await post({ url: 'https://example.com/a', events: [] })).status).toBe(400);
    expect((await post({ url: 'https://example.com/a', colour: 'red' })).status).toBe(400);

    const created = await createWebhook(server, { url: 'https://example.com/a', events: ['recording.completed'], description: ' CRM ' });
    expect(created).toMatchObject({ url: 'https://example.com/a', events: ['recording.completed'], description: 'CRM', enabled: true, account_id: server.account.accountId });
    expect(created.id).toMatch(/^WH[0-9a-f]{32}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect((await json(await post({ url: 'https://example.com/a' }))).code).toBe('webhook_url_taken');

    const got = await json(await server.api(`/webhooks/${created.id}`));
    expect(got.secret).toBe(`whsec_…${created.secret.slice(-4)}`);
    expect((await json(await server.api('/webhooks'))).webhooks.map((w: any) => w.id)).toContain(created.id);

    const patched = await server.api(`/webhooks/${created.id}`, { method: 'PATCH', body: JSON.stringify({ events: null, enabled: false, description: null }), headers: { 'content-type': 'application/json' } });
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({ events: null, enabled: false, description: null });
    const badPatch = await server.api(`/webhooks/${created.id}`, { method: 'PATCH', body: JSON.stringify({ url: 'gopher://x' }), headers: { 'content-type': 'application/json' } });
    expect(badPatch.status).toBe(400);

    const rotated = await json(await server.api(`/webhooks/${created.id}/rotate-secret`, { method: 'POST' }));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);

    // Another account sees none of it, and gets 404s, not 403s.
    const other = await server.app.accounts.createAccount('other');
    expect((await json(await server.api('/webhooks', { key: other.apiKey }))).webhooks).toEqual([]);
    for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/rotate-secret']] as const) {
      const res = await server.api(`/webhooks/${created.id}${suffix}`, { method, key: other.apiKey, ...(method === 'PATCH' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect((await json(res)).code).toBe('webhook_not_found');
    }
    expect((await server.api('/webhooks/WH-unknown')).status).toBe(404);
    expect((await server.api('/webhook-deliveries/WD-unknown')).status).toBe(404);
    expect((await server.api('/webhooks', { key: null })).status).toBe(401);

    expect((await server.api(`/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('delivers each event signed, retried through two 500s, and seen exactly once after de-duplication', async () => {
    const all = await createWebhook(server, { url: receiver.url('/all') });
    const onlyDeleted = await createWebhook(server, { url: receiver.url('/only-deleted'), events: ['recording.deleted'] });
    const disabled = await createWebhook(server, { url: receiver.url('/disabled'), enabled: false });
    receiver.setSecret('/all', all.secret);
    receiver.setSecret('/only-deleted', onlyDeleted.secret);
    receiver.setSecret('/disabled', disabled.secret);

    // On every completed event, download the media it names before answering.
    const downloads: number[] = [];
    receiver.onRequest = async (request) => {
      if (request.event.type === 'recording.completed' && request.path === '/all') downloads.push((await download(request.event.data.recording.media_url)).res.status);
    };

    const created = await uploadAudio(server, pcmWav(sine(440, 1, 8000), 8000, 1), 'audio/wav', '?call_id=CA-webhooks');
    const id = created.id;
    await receiver.waitFor(() => receiver.events('/all', id).some((r) => r.event.type === 'recording.completed'), 40_000, 'recording.completed');
    expect(downloads.length).toBeGreaterThanOrEqual(1);
    expect(downloads[0]).toBe(200);
    expect((await waitForRecording(server, id)).status).toBe('completed');

    expect((await server.api(`/recordings/${id}`, { method: 'DELETE' })).status).toBe(204);
    await receiver.waitFor(
      () => receiver.events('/all', id).some((r) => r.event.type === 'recording.deleted') && receiver.events('/only-deleted', id).length === 1,
      40_000,
      'recording.deleted',
    );

    const events = receiver.events('/all', id);
    expect(events.map((r) => r.event.type).sort()).toEqual(['recording.completed', 'recording.deleted', 'recording.in-progress']);
    expect(new Set(events.map((r) => r.event.id)).size).toBe(3);
    expect(receiver.duplicates).toBe(0);
    for (const e of events) {
      // Two 500s, then the 200 that processed it; the same event id in every attempt.
      const attempts = receiver.requests.filter((r) => r.path === '/all' && r.event.id === e.event.id);
      expect(attempts.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(attempts.every((r) => r.verified && r.headers['telefonie-event-id'] === e.event.id && r.headers['telefonie-event-type'] === e.event.type)).toBe(true);
      expect(e.headers['user-agent']).toBe('telefonie-webhooks/1');
      expect(e.headers['content-type']).toBe('application/json');
      expect(e.event.id).toMatch(/^EV[0-9a-f]{32}$/);
      expect(e.event.data.recording).toMatchObject({ id, call_id: 'CA-webhooks', account_id: server.account.accountId });
      expect(Date.parse(e.event.created_at)).not.toBeNaN();
    }
    const byType = Object.fromEntries(events.map((r) => [r.event.type, r.event.data.recording]));
    expect(byType['recording.in-progress']).toMatchObject({ status: 'in-progress' });
    expect(byType['recording.in-progress'].media_url).toBeUndefined();
    expect(byType['recording.completed']).toMatchObject({ status: 'completed', duration: 1 });
    expect(byType['recording.completed'].media_urls.wav).toMatch(/^http/);
    expect(byType['recording.deleted'].media_url).toBeUndefined();

    expect(receiver.events('/only-deleted').map((r) => r.event.type)).toEqual(['recording.deleted']);
    expect(receiver.events('/only-deleted')[0].event.id).toBe(events.find((r) => r.event.type === 'recording.deleted')!.event.id);
    expect(receiver.requests.filter((r) => r.path === '/disabled')).toEqual([]);

    // A tampered body or timestamp, or a replay after 5 minutes, fails the README check.
    const verify = receiver.verify;
    const sample: ReceivedRequest = events[0];
    const header = sample.headers['telefonie-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verify(all.secret, header, sample.body)).toBe(true);
    expect(verify(all.secret, header, sample.body.replace('"CA-webhooks"', '"CA-webhookz"'))).toBe(false);
    expect(verify(all.secret, header, sample.body + ' ')).toBe(false);
    const t = Number(/t=(\d+)/.exec(header)![1]);
    expect(verify(all.secret, header.replace(`t=${t}`, `t=${t + 1}`), sample.body)).toBe(false);
    expect(verify(onlyDeleted.secret, header, sample.body)).toBe(false);
    const old = t - 600;
    expect(verify(all.secret, `t=${old},v1=${computeSignature(all.secret, old, sample.body)}`, sample.body)).toBe(false);

    // The delivery log shows the three attempts and the final success of each event.
    const log = await json(await server.api(`/webhook-deliveries?webhook_id=${all.id}`));
    expect(log.total).toBe(3);
    expect(log.deliveries.map((d: any) => d.event_type)).toEqual(['recording.deleted', 'recording.completed', 'recording.in-progress']);
    for (const d of log.deliveries) {
      expect(d).toMatchObject({ webhook_id: all.id, target_url: receiver.url('/all'), status: 'succeeded', attempts: 3, last_status_code: 200, last_error: null, next_attempt_at: null });
      expect(d.id).toMatch(/^WD[0-9a-f]{32}$/);
      expect(Date.parse(d.delivered_at)).toBeGreaterThanOrEqual(Date.parse(d.date_created));
      expect(events.map((r) => r.event.id)).toContain(d.event_id);
    }
    const completed = await json(await server.api(`/webhook-deliveries?event_type=recording.completed&webhook_id=${all.id}`));
    expect(completed.total).toBe(1);
    const one = await json(await server.api(`/webhook-deliveries/${completed.deliveries[0].id}`));
    expect(one.payload).toBe(events.find((r) => r.event.type === 'recording.completed')!.body);
    expect((await json(await server.api(`/webhook-deliveries?status=pending`))).total).toBe(0);
    const paged = await json(await server.api('/webhook-deliveries?page_size=1&page=2'));
    expect(paged).toMatchObject({ total: 4, page: 2, page_size: 1 });
    expect(paged.deliveries).toHaveLength(1);
    expect((await server.api('/webhook-deliveries?status=exploded')).status).toBe(400);
    const other = await server.app.accounts.createAccount('nosy');
    expect((await json(await server.api('/webhook-deliveries', { key: other.apiKey }))).total).toBe(0);
    expect((await server.api(`/webhook-deliveries/${one.id}`, { key: other.apiKey })).status).toBe(404);
  }, 90_000);

  it("sends a recording's events to its status_callback, signed with the account callback secret", async () => {
    // On-demand starts (which set status_callback) come from POST /calls/{id}/recordings and a live
    // call; here the publisher the services use is called directly with such a recording.
    const account = await server.app.accounts.createAccount('callbacks');
    const secretRes = await server.api('/webhooks/callback-secret', { key: account.apiKey });
    expect(secretRes.status).toBe(200);
    const { secret } = await json(secretRes);
    expect(secret).toMatch(/^whsec_/);
    expect((await json(await server.api('/webhooks/callback-secret', { key: account.apiKey }))).secret).toBe(secret);
    receiver.setSecret('/callback', secret);
    const endpoint = await createWebhook(server, { url: receiver.url('/account-hook'), events: ['recording.paused'] }, account.apiKey);
    receiver.setSecret('/account-hook', endpoint.secret);

    // A real recording of the account, dressed as a live on-demand one with a status_callback.
    const uploaded = await server.api('/recordings?call_id=CA-callback', { method: 'POST', body: pcmWav(sine(440, 1, 8000), 8000, 1), headers: { 'content-type': 'audio/wav' }, key: account.apiKey });
    expect(uploaded.status).toBe(201);
    const stored = (await server.app.repo.findById(account.accountId, (await json(uploaded)).id))!;
    const recording: Recording = { ...stored, status: 'in-progress', source: 'on-demand', media: {}, details: { statusCallback: receiver.url('/callback'), paused: true } };
    await server.app.events.publish('recording.paused', recording);
    await server.app.events.publish('recording.resumed', { ...recording, details: { ...recording.details, paused: false } });
    // A recording without a callback sends nothing to it.
    await server.app.events.publish('recording.resumed', { ...recording, id: newId('RE'), details: {} });
    await receiver.waitFor(() => receiver.events('/callback').length === 2 && receiver.events('/account-hook').length === 1, 40_000, 'status callbacks');

    // Events may arrive in any order (each has its own retries); compare by type.
    const callbacks = receiver.events('/callback');
    expect(callbacks.map((r) => r.event.type).sort()).toEqual(['recording.paused', 'recording.resumed']);
    expect(callbacks.every((r) => r.event.data.recording.id === recording.id && r.verified)).toBe(true);
    const paused = callbacks.find((r) => r.event.type === 'recording.paused')!;
    expect(paused.event.data.recording).toMatchObject({ paused: true, source: 'on-demand' });
    // The account's own webhook got its subscribed event too, as a separate delivery of the same event.
    expect(receiver.events('/account-hook').map((r) => r.event.type)).toEqual(['recording.paused']);
    expect(receiver.events('/account-hook')[0].event.id).toBe(paused.event.id);

    const log = await json(await server.api('/webhook-deliveries?event_type=recording.resumed', { key: account.apiKey }));
    expect(log.deliveries).toHaveLength(1);
    expect(log.deliveries[0]).toMatchObject({ webhook_id: null, target_url: receiver.url('/callback'), status: 'succeeded', attempts: 3 });

    // After a rotation, callbacks are signed with the new secret only.
    const rotated = await json(await server.api('/webhooks/callback-secret/rotate', { method: 'POST', key: account.apiKey }));
    expect(rotated.secret).not.toBe(secret);
    receiver.setSecret('/callback', rotated.secret);
    await server.app.events.publish('recording.completed', { ...recording, status: 'completed' });
    await receiver.waitFor(() => receiver.events('/callback').length === 3, 40_000, 'callback after rotation');
    expect(receiver.requests.filter((r) => r.path === '/callback' && r.event.type === 'recording.completed').every((r) => r.verified)).toBe(true);
  }, 90_000);
});
