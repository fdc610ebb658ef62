import { sql, type Kysely, type Selectable } from 'kysely';
import type SqliteDatabase from 'better-sqlite3';
import type { AuditEventsTable, Database } from './schema.js';
import type { DatabaseHandle } from './database.js';
import { chainHash, type AuditEntry, type AuditEvent } from '../../compliance/audit/audit-event.js';
import type { AuditFilter, AuditRepository } from '../../compliance/audit/audit.repo.js';
import { paged, pageTotal } from './paging.js';

function fromRow(r: Selectable<AuditEventsTable>): AuditEvent {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    accountId: r.account_id,
    actor: r.actor,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    ip: r.ip,
    details: JSON.parse(r.details),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const COLUMNS = ['seq', 'id', 'at', 'account_id', 'actor', 'action', 'resource_type', 'resource_id', 'ip', 'details', 'prev_hash', 'hash'] as const;

/**
 * Numbers and chains `entries` after the head `seq`/`prevHash`: the rows to insert, in
 * order, each as its values in COLUMNS order (what both inserts bind, without an object per row).
 */
function chainRows(entries: Array<AuditEntry & { id: string; at: string }>, seq: number, prevHash: string): unknown[][] {
  const rows: unknown[][] = [];
  for (const e of entries) {
    seq++;
    const details = JSON.stringify(e.details);
    const hash = chainHash(prevHash, { seq, id: e.id, at: e.at, accountId: e.accountId, actor: e.actor, action: e.action, resourceType: e.resourceType, resourceId: e.resourceId, ip: e.ip, details: e.details }, details);
    rows.push([seq, e.id, e.at, e.accountId, e.actor, e.action, e.resourceType, e.resourceId, e.ip, details, prevHash, hash]);
    prevHash = hash;
  }
  return rows;
}

/** Events per era of the resource index, `(seq / AUDIT_ERA_EVENTS, resource_id)` (migration 012). */
export const AUDIT_ERA_EVENTS = 8192;

/**
 * The numbers of a resource's events, through the era-first resource index: one probe per
 * era. A subquery of its own, so the planner looks the events up by number instead of
 * walking the account's whole trail for the resource.
 */
export function eventsOfResource(resourceId: string) {
  const era = sql.lit(AUDIT_ERA_EVENTS);
  return sql<number>`WITH RECURSIVE era (n) AS (
      SELECT 0 UNION ALL SELECT n + 1 FROM era WHERE n < (SELECT max(seq) FROM audit_events) / ${era})
    SELECT seq FROM audit_events WHERE (seq / ${era}) IN (SELECT n FROM era) AND resource_id = ${resourceId}`;
}

const SEQ = 0;
const HASH = COLUMNS.length - 1;

/** The three statements of a SQLite append, on the connection that runs it. */
function prepareAppend(sqlite: SqliteDatabase.Database) {
  return {
    head: sqlite.prepare('SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1'),
    insert: sqlite.prepare(`INSERT INTO audit_events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`),
    moveHead: sqlite.prepare('UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1'),
  };
}

/**
 * AuditRepository on Kysely; the chain head row serialises appends across processes.
 * Appends (one event per API read) bypass Kysely's query builder, whose cost for an N-row
 * insert grows with every value: SQLite runs one prepared insert per row inside a
 * synchronous transaction, PostgreSQL inserts the whole batch from column arrays.
 */
export class KyselyAuditRepository implements AuditRepository {
  /** Prepared once: preparing costs ~30 µs a statement, and small batches append often. */
  private sqliteStatements?: ReturnType<typeof prepareAppend>;

  constructor(
    private readonly db: Kysely<Database>,
    /** Set on SQLite (DatabaseHandle.sqliteTransaction): appends take the synchronous path. */
    private readonly sqliteTransaction?: DatabaseHandle['sqliteTransaction'],
  ) {}

  async append(entries: Array<AuditEntry & { id: string; at: string }>): Promise<void> {
    if (entries.length === 0) return;
    if (this.sqliteTransaction) return this.appendSqlite(this.sqliteTransaction, entries);
    await this.db.transaction().execute(async (trx) => {
      const head = await trx.selectFrom('audit_chain_head').select(['last_seq', 'last_hash']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
      const rows = chainRows(entries, Number(head.last_seq), head.last_hash);
      const arrays = COLUMNS.map((_, k) => rows.map((r) => r[k]));
      await sql`INSERT INTO audit_events (${sql.join(COLUMNS.map((c) => sql.ref(c)))})
        SELECT * FROM unnest(${arrays[0]}::bigint[], ${sql.join(arrays.slice(1).map((a) => sql`${a}::text[]`))})`.execute(trx);
      const last = rows[rows.length - 1];
      await trx.updateTable('audit_chain_head').set({ last_seq: last[SEQ] as number, last_hash: last[HASH] as string }).where('id', '=', 1).execute();
    });
  }

  private appendSqlite(inTransaction: NonNullable<DatabaseHandle['sqliteTransaction']>, entries: Array<AuditEntry & { id: string; at: string }>): Promise<void> {
    // The IMMEDIATE transaction already holds the write lock: no other process can move the head.
    return inTransaction((sqlite) => {
      const statements = (this.sqliteStatements ??= prepareAppend(sqlite));
      const head = statements.head.get() as { last_seq: number; last_hash: string };
      const rows = chainRows(entries, Number(head.last_seq), head.last_hash);
      for (const r of rows) statements.insert.run(r);
      const last = rows[rows.length - 1];
      statements.moveHead.run(last[SEQ], last[HASH]);
    });
  }

  async list(accountId: string, filter: AuditFilter, page: { page: number; size: number }): Promise<{ items: AuditEvent[]; total: number }> {
    let q = this.db.selectFrom('audit_events').where('account_id', '=', accountId);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.resourceId) q = q.where(sql<boolean>`seq IN (${eventsOfResource(filter.resourceId)})`);
    if (filter.since) q = q.where('at', '>=', filter.since.toISOString());
    if (filter.until) q = q.where('at', '<', filter.until.toISOString());
    const rows = await paged(q.selectAll().orderBy('seq', 'desc'), page).execute();
    const total = await pageTotal(rows, page, async () => (await q.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
    return { items: rows.map(fromRow), total };
  }

  async batchAfter(afterSeq: number, limit: number): Promise<AuditEvent[]> {
    const rows = await this.db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(fromRow);
  }
}
