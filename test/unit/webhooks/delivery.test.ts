import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { WebhookDeliverer, DELIVERY_LOG_RETENTION_MS } from '../../../src/webhooks/delivery.js';
import type { PostResult } from '../../../src/webhooks/webhook-http.js';
import { verifySignature } from '../../../src/webhooks/webhook-signing.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../../src/webhooks/webhook.js';
import { memoryLogger, MemoryWebhookRepository, RecordingJobQueue } from './fakes.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');

function endpoint(over: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return { id: 'WH1', accountId: 'AC1', url: 'https://hooks.example/a', events: null, secret: 'whsec_endpoint', enabled: true, description: null, createdAt: T0, updatedAt: T0, ...over };
}

function delivery(over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: 'WD1', accountId: 'AC1', endpointId: 'WH1', targetUrl: 'https://hooks.example/a', eventId: 'EV1', eventType: 'recording.completed', payload: '{"id":"EV1"}',
    status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, nextAttemptAt: T0, createdAt: T0, updatedAt: T0, deliveredAt: null, ...over,
  };
}

describe('webhook delivery attempts', () => {
  let clock: ManualClock;
  let repo: MemoryWebhookRepository;
  let jobs: RecordingJobQueue;
  let posts: Array<{ url: string; body: string; headers: Record<string, string>; at: Date }>;
  let answers: PostResult[];
  let deliverer: WebhookDeliverer;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    repo = new MemoryWebhookRepository();
    jobs = new RecordingJobQueue();
    posts = [];
    answers = [];
    deliverer = new WebhookDeliverer({
      repo, jobs, clock, log: memoryLogger(), retryBaseSeconds: 30, random: () => 0,
      post: async (url, body, headers) => {
        posts.push({ url, body, headers, at: clock.now() });
        return answers.shift() ?? { statusCode: 500, error: 'HTTP 500' };
      },
    });
    await repo.insertEndpoint(endpoint());
    await repo.insertDeliveries([delivery()]);
  });

  it('a 2xx answer succeeds: signed body, event headers, logged outcome', async () => {
    answers.push({ statusCode: 204, error: null });
    expect(await deliverer.deliver('WD1')).toBe('succeeded');
    expect(posts).toHaveLength(1);
    const { headers, body, url } = posts[0];
    expect(url).toBe('https://hooks.example/a');
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'telefonie-webhooks/1', 'Telefonie-Event-Id': 'EV1', 'Telefonie-Event-Type': 'recording.completed' });
    expect(headers['Telefonie-Signature']).toMatch(new RegExp(`^t=${T0.getTime() / 1000},v1=[0-9a-f]{64}$`));
    expect(verifySignature('whsec_endpoint', headers['Telefonie-Signature'], body, T0.getTime() / 1000)).toBe(true);
    expect(await repo.findDelivery('AC1', 'WD1')).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null, deliveredAt: T0 });
    expect(jobs.sent).toEqual([]);
    // Idempotent: a finished delivery is left alone.
    expect(await deliverer.deliver('WD1')).toBe('skipped');
    expect(posts).toHaveLength(1);
  });

  it('a failure records the attempt and queues the next one after the backoff; an early job does nothing', async () => {
    answers.push({ statusCode: 503, error: 'HTTP 503: down for maintenance' });
    expect(await deliverer.deliver('WD1')).toBe('retrying');
    expect(await repo.findDelivery('AC1', 'WD1')).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503, lastError: 'HTTP 503: down for maintenance', nextAttemptAt: new Date(T0.getTime() + 30_000) });
    expect(jobs.sent).toEqual([{ name: 'webhook.deliver', payload: { deliveryId: 'WD1' }, opts: { singletonKey: 'webhook:WD1:2', startAfterSeconds: 30 } }]);

    clock.advance(10_000);
    expect(await deliverer.deliver('WD1')).toBe('skipped');
    expect(posts).toHaveLength(1);

    clock.advance(20_000);
    answers.push({ statusCode: null, error: 'ECONNREFUSED' });
    expect(await deliverer.deliver('WD1')).toBe('retrying');
    expect(await repo.findDelivery('AC1', 'WD1')).toMatchObject({ attempts: 2, lastStatusCode: null, lastError: 'ECONNREFUSED', nextAttemptAt: new Date(T0.getTime() + 90_000) });
    expect(jobs.sent.at(-1)!.opts).toEqual({ singletonKey: 'webhook:WD1:3', startAfterSeconds: 60 });
    // Each attempt is signed when sent.
    expect(posts[1].headers['Telefonie-Signature']).toContain(`t=${T0.getTime() / 1000 + 30},`);
  });

  it('gives up once an attempt starts 24 hours after the event (injected clock), having retried all day', async () => {
    let outcome = '';
    for (let i = 0; i < 100 && outcome !== 'failed'; i++) {
      const due = (await repo.findDelivery('AC1', 'WD1'))!.nextAttemptAt!;
      clock.set(due);
      outcome = await deliverer.deliver('WD1');
    }
    expect(outcome).toBe('failed');
    const final = (await repo.findDelivery('AC1', 'WD1'))!;
    expect(final).toMatchObject({ status: 'failed', attempts: 31, nextAttemptAt: null, deliveredAt: null, lastError: 'HTTP 500' });
    expect(posts.at(-1)!.at.getTime() - T0.getTime()).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(posts.at(-2)!.at.getTime() - T0.getTime()).toBeLessThan(24 * 3600_000);
    // No attempt is queued after the last one.
    expect(jobs.sent.map((j) => (j.opts.singletonKey as string).split(':')[2])).not.toContain('32');
    expect(await deliverer.deliver('WD1')).toBe('skipped');
  });

  it('a deleted or disabled webhook fails its pending deliveries without sending', async () => {
    await repo.updateEndpoint(endpoint({ enabled: false }));
    expect(await deliverer.deliver('WD1')).toBe('failed');
    expect((await repo.findDelivery('AC1', 'WD1'))!.lastError).toBe('webhook WH1 is disabled');
    await repo.insertDeliveries([delivery({ id: 'WD2', eventId: 'EV2', endpointId: 'WH-gone' })]);
    expect(await deliverer.deliver('WD2')).toBe('failed');
    expect((await repo.findDelivery('AC1', 'WD2'))!).toMatchObject({ status: 'failed', attempts: 0, lastError: 'webhook WH-gone was deleted' });
    expect(posts).toEqual([]);
  });

  it('a status callback is signed with the account callback secret, created on first use', async () => {
    await repo.insertDeliveries([delivery({ id: 'WD3', eventId: 'EV3', endpointId: null, targetUrl: 'https://app.example/cb' })]);
    answers.push({ statusCode: 200, error: null });
    expect(await deliverer.deliver('WD3')).toBe('succeeded');
    const secret = (await repo.getCallbackSecret('AC1'))!.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(verifySignature(secret, posts[0].headers['Telefonie-Signature'], posts[0].body, T0.getTime() / 1000)).toBe(true);
  });

  it('does not send what another worker holds, and a lost lease is not overwritten', async () => {
    const held = await repo.claimDelivery('WD1', T0, T0, new Date(T0.getTime() + 60_000));
    expect(held).not.toBeNull();
    expect(await deliverer.deliver('WD1')).toBe('skipped');
    expect(posts).toEqual([]);
    // The holder died: after its lease another worker may try.
    clock.advance(61_000);
    answers.push({ statusCode: 200, error: null });
    expect(await deliverer.deliver('WD1')).toBe('succeeded');
  });

  it('re-signs the body through refreshPayload and logs what was sent', async () => {
    deliverer = new WebhookDeliverer({ repo, jobs, clock, log: memoryLogger(), retryBaseSeconds: 30, refreshPayload: (p) => p.replace('EV1', 'EV1-fresh'), post: async (url, body, headers) => (posts.push({ url, body, headers, at: clock.now() }), { statusCode: 200, error: null }) });
    await deliverer.deliver('WD1');
    expect(posts[0].body).toBe('{"id":"EV1-fresh"}');
    expect((await repo.findDelivery('AC1', 'WD1'))!.payload).toBe('{"id":"EV1-fresh"}');
  });

  it('the sweep re-queues deliveries whose job was lost and prunes old finished ones', async () => {
    // WD1 is due at T0 and nothing ran it; a minute later it counts as lost.
    clock.advance(30_000);
    expect((await deliverer.sweep()).requeued).toBe(0);
    clock.advance(31_000);
    expect(await deliverer.sweep()).toEqual({ requeued: 1, pruned: 0 });
    expect(jobs.sent).toEqual([{ name: 'webhook.deliver', payload: { deliveryId: 'WD1' }, opts: { singletonKey: 'webhook:WD1:1', startAfterSeconds: undefined } }]);
    // Still queued: a second sweep does not queue it twice.
    expect((await deliverer.sweep()).requeued).toBe(0);

    answers.push({ statusCode: 200, error: null });
    await deliverer.deliver('WD1');
    clock.set(new Date(T0.getTime() + DELIVERY_LOG_RETENTION_MS + 1));
    expect(await deliverer.sweep()).toEqual({ requeued: 0, pruned: 1 });
    expect(await repo.findDelivery('AC1', 'WD1')).toBeNull();
  });
});
