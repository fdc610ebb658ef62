import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { ExportPatch, ExportRepository } from '../../compliance/export/export.repo.js';
import type { ExportFilter, ExportFormat, ExportStatus, RecordingExport } from '../../compliance/export/export.js';
import type { PageRequest, Recording } from '../../recordings/recording.js';
import { recordingFromRow } from './recordings.repo.js';
import type { Database, ExportsTable } from './schema.js';
import { paged, pageTotal } from './paging.js';

type Row = Selectable<ExportsTable>;

function fromRow(row: Row): RecordingExport {
  return {
    id: row.id,
    accountId: row.account_id,
    status: row.status as ExportStatus,
    format: row.format as ExportFormat,
    filter: JSON.parse(row.filter),
    include: JSON.parse(row.include),
    total: Number(row.total),
    done: Number(row.done),
    bytes: Number(row.bytes),
    error: row.error,
    blobKey: row.blob_key,
    sha256: row.sha256,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : null,
    completedAt: row.completed_at ? new Date(row.completed_at) : null,
    updatedAt: new Date(row.updated_at),
  };
}

/** The export's recording selection: the account's recordings matching the filter, created up to the export. */
function selection<O>(query: SelectQueryBuilder<Database, 'recordings', O>, accountId: string, filter: ExportFilter, upTo: Date): SelectQueryBuilder<Database, 'recordings', O> {
  let q = query.where('account_id', '=', accountId).where('date_created', '<=', upTo.toISOString());
  if (filter.recordingIds) q = q.where('id', 'in', filter.recordingIds.length ? filter.recordingIds : ['']);
  if (filter.callId !== undefined) q = q.where('call_id', '=', filter.callId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.source !== undefined) q = q.where('source', '=', filter.source);
  if (filter.createdAfter) q = q.where('date_created', '>=', new Date(filter.createdAfter).toISOString());
  if (filter.createdBefore) q = q.where('date_created', '<', new Date(filter.createdBefore).toISOString());
  return q;
}

/** ExportRepository on Kysely (SQLite and PostgreSQL). */
export class KyselyExportRepository implements ExportRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: RecordingExport): Promise<void> {
    await this.db
      .insertInto('exports')
      .values({
        id: e.id,
        account_id: e.accountId,
        status: e.status,
        format: e.format,
        filter: JSON.stringify(e.filter),
        include: JSON.stringify(e.include),
        total: e.total,
        done: e.done,
        bytes: e.bytes,
        error: e.error,
        blob_key: e.blobKey,
        sha256: e.sha256,
        created_at: e.createdAt.toISOString(),
        started_at: e.startedAt?.toISOString() ?? null,
        completed_at: e.completedAt?.toISOString() ?? null,
        updated_at: e.updatedAt.toISOString(),
      })
      .execute();
  }

  async get(accountId: string, id: string): Promise<RecordingExport | null> {
    const row = await this.db.selectFrom('exports').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async getUnscoped(id: string): Promise<RecordingExport | null> {
    const row = await this.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(accountId: string, filter: { status?: ExportStatus }, page: PageRequest): Promise<{ items: RecordingExport[]; total: number }> {
    let base = this.db.selectFrom('exports').where('account_id', '=', accountId);
    if (filter.status) base = base.where('status', '=', filter.status);
    const rows = await paged(base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), page).execute();
    const total = await pageTotal(rows, page, async () => (await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return { items: rows.map(fromRow), total };
  }

  async update(id: string, patch: ExportPatch, now: Date, onlyIfStatus?: ExportStatus): Promise<boolean> {
    const values: Partial<Row> = { updated_at: now.toISOString() };
    if (patch.status !== undefined) values.status = patch.status;
    if (patch.total !== undefined) values.total = patch.total;
    if (patch.done !== undefined) values.done = patch.done;
    if (patch.bytes !== undefined) values.bytes = patch.bytes;
    if (patch.error !== undefined) values.error = patch.error;
    if (patch.blobKey !== undefined) values.blob_key = patch.blobKey;
    if (patch.sha256 !== undefined) values.sha256 = patch.sha256;
    if (patch.startedAt !== undefined) values.started_at = patch.startedAt?.toISOString() ?? null;
    if (patch.completedAt !== undefined) values.completed_at = patch.completedAt?.toISOString() ?? null;
    let q = this.db.updateTable('exports').set(values).where('id', '=', id);
    if (onlyIfStatus) q = q.where('status', '=', onlyIfStatus);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(accountId: string, id: string): Promise<RecordingExport | null> {
    const row = await this.db.deleteFrom('exports').where('id', '=', id).where('account_id', '=', accountId).returningAll().executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async countRecordings(accountId: string, filter: ExportFilter, upTo: Date): Promise<number> {
    const row = await selection(this.db.selectFrom('recordings').select((eb) => eb.fn.countAll<number>().as('n')), accountId, filter, upTo).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async recordingsAfter(accountId: string, filter: ExportFilter, upTo: Date, afterId: string, limit: number): Promise<Recording[]> {
    const rows = await selection(this.db.selectFrom('recordings').selectAll(), accountId, filter, upTo).where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(recordingFromRow);
  }
}
