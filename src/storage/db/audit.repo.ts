import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEventsTable, Database } from './schema.js';
import type { Dialect } from './database.js';
import { chainHash, type AuditEntry, type AuditEvent } from '../../compliance/audit/audit-event.js';
import type { AuditFilter, AuditRepository } from '../../compliance/audit/audit.repo.js';

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

/** AuditRepository on Kysely; the chain head row serialises appends across processes. */
export class KyselyAuditRepository implements AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async append(entries: Array<AuditEntry & { id: string; at: string }>): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      // PostgreSQL: FOR UPDATE locks the head; SQLite: the transaction already holds the write lock.
      const headQuery = trx.selectFrom('audit_chain_head').select(['last_seq', 'last_hash']).where('id', '=', 1);
      const head = await (this.dialect === 'postgres' ? headQuery.forUpdate() : headQuery).executeTakeFirstOrThrow();
      let seq = Number(head.last_seq);
      let prevHash = head.last_hash;
      const rows: Selectable<AuditEventsTable>[] = [];
      for (const e of entries) {
        seq++;
        const event = { seq, id: e.id, at: e.at, accountId: e.accountId, actor: e.actor, action: e.action, resourceType: e.resourceType, resourceId: e.resourceId, ip: e.ip, details: e.details };
        const hash = chainHash(prevHash, event);
        rows.push({
          seq, id: e.id, at: e.at, account_id: e.accountId, actor: e.actor, action: e.action, resource_type: e.resourceType, resource_id: e.resourceId, ip: e.ip,
          details: JSON.stringify(e.details), prev_hash: prevHash, hash,
        });
        prevHash = hash;
      }
      for (let i = 0; i < rows.length; i += 200) await trx.insertInto('audit_events').values(rows.slice(i, i + 200)).execute();
      await trx.updateTable('audit_chain_head').set({ last_seq: seq, last_hash: prevHash }).where('id', '=', 1).execute();
    });
  }

  async list(accountId: string, filter: AuditFilter, page: { page: number; size: number }): Promise<{ items: AuditEvent[]; total: number }> {
    let q = this.db.selectFrom('audit_events').where('account_id', '=', accountId);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.resourceId) q = q.where('resource_id', '=', filter.resourceId);
    if (filter.since) q = q.where('at', '>=', filter.since.toISOString());
    if (filter.until) q = q.where('at', '<', filter.until.toISOString());
    const rows = await q.selectAll().orderBy('seq', 'desc').limit(page.size).offset((page.page - 1) * page.size).execute();
    const counted = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    return { items: rows.map(fromRow), total: Number(counted.n) };
  }

  async batchAfter(afterSeq: number, limit: number): Promise<AuditEvent[]> {
    const rows = await this.db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(fromRow);
  }
}
