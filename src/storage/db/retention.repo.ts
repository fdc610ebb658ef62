import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LegalHoldsTable, RetentionPoliciesTable } from './schema.js';
import type { Recording } from '../../recordings/recording.js';
import type { RetentionPolicy } from '../../compliance/retention-policy.js';
import type { LegalHold, RetentionRepository } from '../../compliance/retention.repo.js';
import { recordingFromRow } from './recordings.repo.js';
import { transcriptionStatusColumn } from './transcript-search.js';

function policyFromRow(row: Selectable<RetentionPoliciesTable>): RetentionPolicy {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    priority: row.priority,
    isDefault: Boolean(row.is_default),
    match: JSON.parse(row.match),
    archiveAfterDays: row.archive_after_days,
    deleteMediaAfterDays: row.delete_media_after_days,
    deleteAfterDays: row.delete_after_days,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function policyToRow(p: RetentionPolicy): Selectable<RetentionPoliciesTable> {
  return {
    id: p.id,
    account_id: p.accountId,
    name: p.name,
    priority: p.priority,
    is_default: p.isDefault ? 1 : 0,
    match: JSON.stringify(p.match),
    archive_after_days: p.archiveAfterDays,
    delete_media_after_days: p.deleteMediaAfterDays,
    delete_after_days: p.deleteAfterDays,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

function holdFromRow(row: Selectable<LegalHoldsTable> & { n: number | string | null }): LegalHold {
  return {
    id: row.id,
    accountId: row.account_id,
    reason: row.reason,
    filter: JSON.parse(row.filter),
    recordingCount: Number(row.n ?? 0),
    createdAt: new Date(row.created_at),
    releasedAt: row.released_at ? new Date(row.released_at) : null,
  };
}

/** RetentionRepository on Kysely. */
export class KyselyRetentionRepository implements RetentionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertPolicy(p: RetentionPolicy): Promise<void> {
    await this.db.insertInto('retention_policies').values(policyToRow(p)).execute();
  }

  async updatePolicy(p: RetentionPolicy): Promise<void> {
    const { id, account_id, ...values } = policyToRow(p);
    await this.db.updateTable('retention_policies').set(values).where('id', '=', id).where('account_id', '=', account_id).execute();
  }

  async findPolicy(accountId: string, id: string): Promise<RetentionPolicy | null> {
    const row = await this.db.selectFrom('retention_policies').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row ? policyFromRow(row) : null;
  }

  async listPolicies(accountId: string): Promise<RetentionPolicy[]> {
    const rows = await this.db.selectFrom('retention_policies').selectAll().where('account_id', '=', accountId).orderBy('priority').orderBy('created_at').orderBy('id').execute();
    return rows.map(policyFromRow);
  }

  async deletePolicy(accountId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('retention_policies').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async accountsWithPolicies(): Promise<string[]> {
    const rows = await this.db.selectFrom('retention_policies').select('account_id').distinct().execute();
    return rows.map((r) => r.account_id);
  }

  async candidates(accountId: string, createdBefore: Date, after: { createdAt: string; id: string } | null, limit: number): Promise<Recording[]> {
    let q = this.db
      .selectFrom('recordings')
      .selectAll()
      // Whether redacted copies exist, so deleting a recording removes only files that exist.
      .select(transcriptionStatusColumn())
      .where('account_id', '=', accountId)
      .where('held', '=', 0)
      .where('status', '!=', 'in-progress')
      .where('date_created', '<', createdBefore.toISOString());
    if (after) {
      // A row-value comparison, which both databases use as an index range: the equivalent
      // `a > x OR (a = x AND b > y)` is only a filter, so every batch re-walked the index from
      // the oldest candidate over all rows already acted on (PostgreSQL, 1,000,000 recordings,
      // 50,000 in: 811 ms per batch against 6.5 ms).
      q = q.where((eb) => eb(eb.refTuple('date_created', 'id'), '>', eb.tuple(after.createdAt, after.id)));
    }
    const rows = await q.orderBy('date_created').orderBy('id').limit(limit).execute();
    return rows.map(recordingFromRow);
  }

  async createHold(hold: Omit<LegalHold, 'recordingCount' | 'releasedAt'>): Promise<LegalHold> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('legal_holds')
        .values({ id: hold.id, account_id: hold.accountId, reason: hold.reason, filter: JSON.stringify(hold.filter), created_at: hold.createdAt.toISOString(), released_at: null })
        .execute();
      let matching = trx.selectFrom('recordings').select([sql.lit(hold.id).as('hold_id'), 'id as recording_id']).where('account_id', '=', hold.accountId);
      const f = hold.filter;
      if (f.recordingIds) matching = matching.where('id', 'in', f.recordingIds.length ? f.recordingIds : ['']);
      if (f.callId) matching = matching.where('call_id', '=', f.callId);
      if (f.createdAfter) matching = matching.where('date_created', '>=', f.createdAfter);
      if (f.createdBefore) matching = matching.where('date_created', '<', f.createdBefore);
      await trx.insertInto('legal_hold_items').columns(['hold_id', 'recording_id']).expression(matching).execute();
      await trx
        .updateTable('recordings')
        .set((eb) => ({ held: eb('held', '+', 1) }))
        .where('id', 'in', (eb) => eb.selectFrom('legal_hold_items').select('recording_id').where('hold_id', '=', hold.id))
        .execute();
    });
    return (await this.findHold(hold.accountId, hold.id))!;
  }

  private holdsQuery(accountId: string) {
    return this.db
      .selectFrom('legal_holds')
      .selectAll('legal_holds')
      .select((eb) => eb.selectFrom('legal_hold_items').select((e) => e.fn.countAll<number>().as('c')).whereRef('legal_hold_items.hold_id', '=', 'legal_holds.id').as('n'))
      .where('account_id', '=', accountId);
  }

  async findHold(accountId: string, id: string): Promise<LegalHold | null> {
    const row = await this.holdsQuery(accountId).where('id', '=', id).executeTakeFirst();
    return row ? holdFromRow(row) : null;
  }

  async listHolds(accountId: string): Promise<LegalHold[]> {
    const rows = await this.holdsQuery(accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(holdFromRow);
  }

  async releaseHold(accountId: string, id: string, at: Date): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('legal_holds').set({ released_at: at.toISOString() }).where('id', '=', id).where('account_id', '=', accountId).where('released_at', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await trx
        .updateTable('recordings')
        .set((eb) => ({ held: eb('held', '-', 1) }))
        .where('id', 'in', (eb) => eb.selectFrom('legal_hold_items').select('recording_id').where('hold_id', '=', id))
        .execute();
      return true;
    });
  }

  async startRun(id: string, at: Date): Promise<void> {
    await this.db.insertInto('retention_runs').values({ id, started_at: at.toISOString(), finished_at: null }).execute();
  }

  async finishRun(id: string, at: Date, c: { archived: number; mediaDeleted: number; deleted: number; errors: number }): Promise<void> {
    await this.db
      .updateTable('retention_runs')
      .set({ finished_at: at.toISOString(), archived: c.archived, media_deleted: c.mediaDeleted, deleted: c.deleted, errors: c.errors })
      .where('id', '=', id)
      .execute();
  }
}
