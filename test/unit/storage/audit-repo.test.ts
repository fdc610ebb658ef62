import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { AUDIT_ERA_EVENTS, KyselyAuditRepository, eventsOfResource } from '../../../src/storage/db/audit.repo.js';
import { packEntry, unpackEntries, type AuditEntry } from '../../../src/compliance/audit/audit-event.js';
import { openMigratedDatabase, repositoryDialects } from '../../helpers/backends.js';

const ERA = AUDIT_ERA_EVENTS;
const read = (accountId: string, resourceId: string, n: number): AuditEntry =>
  ({ accountId, actor: 'KY1', action: 'GET /v1/recordings/recordings/:recording_id', resourceType: 'recordings', resourceId, ip: '127.0.0.1', details: { n } });

describe.each(repositoryDialects)('the audit repository on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let repo: KyselyAuditRepository;
  /** Event numbers (seq) of RE-hot's reads in account AC1, in append order. */
  const hotSeqs: number[] = [];
  beforeAll(async () => {
    database = await openMigratedDatabase(dialect);
    repo = new KyselyAuditRepository(database.handle.db, database.handle.sqliteTransaction);
    // Three eras and a bit: RE-hot is read in each of them, once by another account.
    const batch: unknown[] = [];
    const total = 3 * ERA + 100;
    for (let seq = 1; seq <= total; seq++) {
      const hot = seq % 2000 === 7 || seq === ERA - 1 || seq === ERA || seq === total;
      const accountId = seq === 4007 ? 'AC2' : 'AC1';
      if (hot && accountId === 'AC1') hotSeqs.push(seq);
      packEntry(batch, read(accountId, hot ? 'RE-hot' : `RE-${seq}`, seq), Date.now());
    }
    await repo.append(unpackEntries(batch));
  }, 60_000);
  afterAll(async () => database.close());

  it('finds a resource\'s events in every era of the trail, newest first, paged, with the total', async () => {
    const newestFirst = [...hotSeqs].reverse();
    const first = await repo.list('AC1', { resourceId: 'RE-hot' }, { page: 1, size: 5 });
    expect(first.total).toBe(hotSeqs.length);
    expect(first.items.map((e) => e.seq)).toEqual(newestFirst.slice(0, 5));
    const last = await repo.list('AC1', { resourceId: 'RE-hot' }, { page: 3, size: 5 });
    expect(last.items.map((e) => e.seq)).toEqual(newestFirst.slice(10, 15));
    expect(last.items.every((e) => e.resourceId === 'RE-hot' && e.accountId === 'AC1')).toBe(true);
    // The other account's read of the same resource is its own.
    expect((await repo.list('AC2', { resourceId: 'RE-hot' }, { page: 1, size: 5 })).items.map((e) => e.seq)).toEqual([4007]);
    // Combined with the other filters, and a resource with no events.
    expect((await repo.list('AC1', { resourceId: 'RE-hot', actor: 'KY2' }, { page: 1, size: 5 })).total).toBe(0);
    expect((await repo.list('AC1', { resourceId: `RE-${ERA + 5}` }, { page: 1, size: 5 })).items.map((e) => e.details)).toEqual([{ n: ERA + 5 }]);
    expect((await repo.list('AC1', { resourceId: 'RE-none' }, { page: 1, size: 5 })).total).toBe(0);
  });

  it('looks a resource up through the era index, not by walking the account\'s trail', async () => {
    if (dialect !== 'sqlite') return; // PostgreSQL's planner chooses by its statistics
    const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT seq FROM audit_events WHERE account_id = 'AC1'
      AND seq IN (${eventsOfResource('RE-hot')})`.execute(database.handle.db);
    const steps = plan.rows.map((r) => r.detail);
    expect(steps.join('\n')).toMatch(/INDEX audit_events_resource_by_era \(<expr>=\? AND resource_id=\?\)/);
    // The events themselves by number, not the account's whole trail.
    expect(steps[0]).toMatch(/\(account_id=\? AND seq=\?\)|INTEGER PRIMARY KEY/);
  });
});
