import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { CallsTable, Database } from './schema.js';
import type { Call } from '../../calls/call.js';
import type { CallFilter, CallRepository } from '../../calls/call.repo.js';
import { paged, pageTotal } from './paging.js';

function fromRow(row: Selectable<CallsTable>): Call {
  return {
    id: row.id,
    accountId: row.account_id,
    callId: row.call_id,
    ingest: row.ingest as Call['ingest'],
    status: row.status as Call['status'],
    trunkId: row.trunk_id,
    from: row.from_uri,
    to: row.to_uri,
    direction: row.direction,
    startedAt: new Date(row.started_at),
    endedAt: row.ended_at ? new Date(row.ended_at) : null,
    details: row.details ? JSON.parse(row.details) : {},
  };
}

/** CallRepository on Kysely. */
export class KyselyCallRepository implements CallRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async upsertLive(call: Call): Promise<Call> {
    await this.db
      .insertInto('calls')
      .values({
        id: call.id,
        account_id: call.accountId,
        call_id: call.callId,
        ingest: call.ingest,
        status: 'in-progress',
        trunk_id: call.trunkId,
        from_uri: call.from,
        to_uri: call.to,
        direction: call.direction,
        started_at: call.startedAt.toISOString(),
        ended_at: null,
        details: JSON.stringify(call.details),
      })
      .onConflict((oc) => oc.columns(['account_id', 'call_id']).doUpdateSet({ status: 'in-progress', ended_at: null }))
      .execute();
    return (await this.findByCallId(call.accountId, call.callId))!;
  }

  async findByCallId(accountId: string, callId: string): Promise<Call | null> {
    const row = await this.db.selectFrom('calls').selectAll().where('account_id', '=', accountId).where('call_id', '=', callId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(accountId: string, filter: CallFilter, page: { page: number; size: number }): Promise<{ items: Call[]; total: number }> {
    const where = <O>(q: SelectQueryBuilder<Database, 'calls', O>) => {
      let out = q.where('account_id', '=', accountId);
      if (filter.status) out = out.where('status', '=', filter.status);
      if (filter.ingest) out = out.where('ingest', '=', filter.ingest);
      if (filter.startedAfter) out = out.where('started_at', '>=', filter.startedAfter.toISOString());
      if (filter.startedBefore) out = out.where('started_at', '<', filter.startedBefore.toISOString());
      return out;
    };
    const rows = await paged(where(this.db.selectFrom('calls').selectAll()).orderBy('started_at', 'desc').orderBy('id', 'desc'), page).execute();
    const total = await pageTotal(rows, page, async () => (await where(this.db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n'))).executeTakeFirstOrThrow()).n);
    return { items: rows.map(fromRow), total };
  }

  async markEnded(id: string, at: Date): Promise<void> {
    await this.db.updateTable('calls').set({ status: 'completed', ended_at: at.toISOString() }).where('id', '=', id).execute();
  }
}
