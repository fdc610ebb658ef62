import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { openDatabase, type DatabaseHandle } from '../../../src/storage/db/database.js';
import { migrateToLatest } from '../../../src/storage/db/migrator.js';
import { KyselyWebhookRepository } from '../../../src/storage/db/webhooks.repo.js';
import { WebhookDeliverer } from '../../../src/webhooks/delivery.js';
import type { WebhookDelivery } from '../../../src/webhooks/webhook.js';
import { memoryLogger, RecordingJobQueue } from './fakes.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');

function delivery(i: number, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const at = new Date(T0.getTime() + Math.floor(i / 2) * 1000);
  return {
    id: `WD${String(i).padStart(32, '0')}`, accountId: 'A', endpointId: i % 2 ? 'WH1' : null, targetUrl: `https://hooks.example/${i % 2}`, eventId: `EV${i}`,
    eventType: i % 3 ? 'recording.completed' : 'recording.deleted', payload: `{"n":${i}}`, status: 'pending', attempts: 0, lastStatusCode: null, lastError: null,
    nextAttemptAt: at, createdAt: at, updatedAt: at, deliveredAt: null, ...over,
  };
}

describe('webhook repository (in-memory SQLite)', () => {
  let handle: DatabaseHandle;
  let repo: KyselyWebhookRepository;
  beforeAll(async () => {
    handle = openDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    await handle.db.insertInto('accounts').values([{ id: 'A', name: 'a', created_at: '' }, { id: 'B', name: 'b', created_at: '' }]).execute();
    repo = new KyselyWebhookRepository(handle.db);
    await repo.insertEndpoint({ id: 'WH1', accountId: 'A', url: 'https://hooks.example/1', events: ['recording.completed'], secret: 'whsec_1', enabled: true, description: 'd', createdAt: T0, updatedAt: T0 });
  });
  afterAll(async () => handle.close());

  it('round-trips endpoints, events as a list or null', async () => {
    const got = await repo.findEndpoint('A', 'WH1');
    expect(got).toMatchObject({ events: ['recording.completed'], enabled: true, description: 'd' });
    await repo.updateEndpoint({ ...got!, events: null, enabled: false });
    expect(await repo.findEndpointUnscoped('WH1')).toMatchObject({ events: null, enabled: false });
    expect(await repo.findEndpoint('B', 'WH1')).toBeNull();
    await repo.updateEndpoint({ ...got!, enabled: true });
  });

  it('one delivery per event and URL: a repeated fan-out inserts nothing', async () => {
    const first = await repo.insertDeliveries([delivery(100), delivery(101)]);
    expect(first).toHaveLength(2);
    const again = await repo.insertDeliveries([{ ...delivery(100), id: 'WD-retry-a' }, { ...delivery(101), id: 'WD-retry-b' }, delivery(102)]);
    expect(again.map((d) => d.id)).toEqual([delivery(102).id]);
    await handle.db.deleteFrom('webhook_deliveries').execute();
  });

  it('lists newest first with filters, paging and a total, scoped to the account', async () => {
    await repo.insertDeliveries(Array.from({ length: 20 }, (_, i) => delivery(i)));
    await repo.insertDeliveries([delivery(99, { accountId: 'B' })]);
    const ids: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const { items, total } = await repo.listDeliveries('A', {}, { page, size: 8 });
      expect(total).toBe(20);
      ids.push(...items.map((d) => d.id));
    }
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => delivery(19 - i).id));
    const filtered = await repo.listDeliveries('A', { eventType: 'recording.deleted', endpointId: 'WH1', status: 'pending' }, { page: 1, size: 100 });
    expect(filtered.total).toBe([...Array(20).keys()].filter((i) => i % 3 === 0 && i % 2 === 1).length);
    expect((await repo.listDeliveries('B', {}, { page: 1, size: 100 })).total).toBe(1);
    expect(await repo.findDelivery('B', delivery(1).id)).toBeNull();
  });

  it('two workers delivering one event at once send it once', async () => {
    const d = delivery(1);
    let posts = 0;
    const make = () =>
      new WebhookDeliverer({
        repo, jobs: new RecordingJobQueue(), clock: new ManualClock(new Date(T0.getTime() + 60_000)), log: memoryLogger(), retryBaseSeconds: 30,
        post: async () => {
          posts++;
          await new Promise((r) => setTimeout(r, 50));
          return { statusCode: 200, error: null };
        },
      });
    const outcomes = await Promise.all([make().deliver(d.id), make().deliver(d.id), make().deliver(d.id)]);
    expect(outcomes.sort()).toEqual(['skipped', 'skipped', 'succeeded']);
    expect(posts).toBe(1);
    expect(await repo.findDelivery('A', d.id)).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200 });
  });

  it('overdue: pending, past due, not leased; pruning drops only old finished rows', async () => {
    const now = new Date(T0.getTime() + 3600_000);
    const overdue = await repo.listOverdue(now, new Date(now.getTime() - 60_000), 100);
    expect(overdue.map((o) => o.id)).not.toContain(delivery(1).id);
    // Every account's: 19 of A (one succeeded) and 1 of B.
    expect(overdue).toHaveLength(20);
    await repo.claimDelivery(delivery(0).id, now, now, new Date(now.getTime() + 60_000));
    expect(await repo.listOverdue(now, now, 100)).toHaveLength(19);
    expect(await repo.pruneFinished(new Date(T0.getTime() + 3600_000))).toBe(1);
    expect(await repo.findDelivery('A', delivery(1).id)).toBeNull();
  });

  it('the callback secret: first writer wins, replace overwrites', async () => {
    const a = await repo.ensureCallbackSecret('A', { secret: 'whsec_a', createdAt: T0 });
    const b = await repo.ensureCallbackSecret('A', { secret: 'whsec_b', createdAt: T0 });
    expect([a.secret, b.secret]).toEqual(['whsec_a', 'whsec_a']);
    await repo.replaceCallbackSecret('A', { secret: 'whsec_c', createdAt: T0 });
    expect((await repo.getCallbackSecret('A'))!.secret).toBe('whsec_c');
    expect(await repo.getCallbackSecret('B')).toBeNull();
  });
});
