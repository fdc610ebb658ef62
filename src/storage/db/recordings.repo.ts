import { PostgresAdapter, sql, type CompiledQuery, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import { transcriptionStatusColumn, transcriptMatches, transcriptSnippet } from './transcript-search.js';
import { reusableQuery } from './reusable-query.js';
import { integerParameter, paged, pageTotal } from './paging.js';
import type { Database, RecordingsTable } from './schema.js';
import type { DatabaseHandle } from './database.js';
import type { RecordingPatch, RecordingRepository } from '../../recordings/recording.repo.js';
import type { IntegrityStatus, MediaFormat, PageRequest, Recording, RecordingFilter, StoredMedia } from '../../recordings/recording.js';

type Row = Selectable<RecordingsTable>;

function mediaFromRow(key: string | null, bytes: number | null, sha256: string | null): StoredMedia | undefined {
  return key ? { key, bytes: bytes ?? 0, sha256: sha256 ?? '' } : undefined;
}

type MediaRow = Pick<Row, 'wav_key' | 'wav_bytes' | 'wav_sha256' | 'mp3_key' | 'mp3_bytes' | 'mp3_sha256'>;

/** The stored renditions a row names. */
function mediaOfRow(row: MediaRow): Recording['media'] {
  const media: Recording['media'] = {};
  const wav = mediaFromRow(row.wav_key, row.wav_bytes, row.wav_sha256);
  const mp3 = mediaFromRow(row.mp3_key, row.mp3_bytes, row.mp3_sha256);
  if (wav) media.wav = wav;
  if (mp3) media.mp3 = mp3;
  return media;
}

/** Maps a row to the domain type. */
export function recordingFromRow(row: Row): Recording {
  const media = mediaOfRow(row);
  const transcript = row as { transcription_status?: string | null; transcription_redacted_audio?: number | null };
  return {
    ...(transcript.transcription_status ? { transcriptionStatus: transcript.transcription_status } : {}),
    // Known (true or false) only when the query selected it; undefined means "not looked up".
    ...('transcription_redacted_audio' in transcript ? { redactedAudio: Boolean(transcript.transcription_redacted_audio) } : {}),
    id: row.id,
    accountId: row.account_id,
    callId: row.call_id,
    status: row.status as Recording['status'],
    source: row.source as Recording['source'],
    channels: row.channels as 1 | 2,
    sampleRate: row.sample_rate,
    durationMs: Number(row.duration_ms),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    dateCreated: new Date(row.date_created),
    dateUpdated: new Date(row.date_updated),
    media,
    details: row.details ? JSON.parse(row.details) : {},
    storageClass: row.storage_class as Recording['storageClass'],
    legalHold: Number(row.held) > 0,
    tags: row.tags ? JSON.parse(row.tags) : [],
    mediaDeletedAt: row.media_deleted_at ? new Date(row.media_deleted_at) : null,
    ...(row.integrity_status && row.integrity_checked_at
      ? { integrity: { status: row.integrity_status as IntegrityStatus, checkedAt: new Date(row.integrity_checked_at), detail: row.integrity_detail ?? null } }
      : {}),
  };
}

function mediaColumns(format: MediaFormat, media: StoredMedia | null | undefined): Partial<Row> {
  return {
    [`${format}_key`]: media?.key ?? null,
    [`${format}_bytes`]: media?.bytes ?? null,
    [`${format}_sha256`]: media?.sha256 ?? null,
  } as Partial<Row>;
}

function applyFilter<O>(
  query: SelectQueryBuilder<Database, 'recordings', O>,
  accountId: string,
  filter: RecordingFilter,
  postgres = false,
): SelectQueryBuilder<Database, 'recordings', O> {
  let q = query.where('account_id', '=', accountId);
  if (filter.q !== undefined) q = q.where(transcriptMatches(postgres, filter.q));
  if (filter.callId !== undefined) q = q.where('call_id', '=', filter.callId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.source !== undefined) q = q.where('source', '=', filter.source);
  if (filter.createdAfter) q = q.where('date_created', '>=', filter.createdAfter.toISOString());
  if (filter.createdBefore) q = q.where('date_created', '<', filter.createdBefore.toISOString());
  if (filter.integrity === 'unchecked') q = q.where('integrity_status', 'is', null);
  else if (filter.integrity === 'failed') q = q.where('integrity_status', 'in', ['corrupt', 'missing']);
  else if (filter.integrity !== undefined) q = q.where('integrity_status', '=', filter.integrity);
  return q;
}

/** Filters that are one bound value each: a list query's shape is which of them are present. */
const VALUE_FILTERS = ['callId', 'status', 'source', 'createdAfter', 'createdBefore'] as const;
type ValueFilter = (typeof VALUE_FILTERS)[number];

/** A filter's bound value as the query binds it (timestamps are ISO strings). */
function boundValue(filter: RecordingFilter, key: ValueFilter): unknown {
  const value = filter[key];
  return value instanceof Date ? value.toISOString() : value;
}

/** The compiled page (whole rows, or ids alone) and count queries of one filter shape, reused with new values. */
interface ListQueries {
  rows: (...args: unknown[]) => CompiledQuery;
  ids: (...args: unknown[]) => CompiledQuery;
  count: (...args: unknown[]) => CompiledQuery;
}

/** RecordingRepository on Kysely: the same SQL on SQLite and PostgreSQL. */
export class KyselyRecordingRepository implements RecordingRepository {
  private readonly db: Kysely<Database>;
  private readonly read: DatabaseHandle['read'];

  private readonly byIdQuery: (id: string, accountId: string) => CompiledQuery;
  private readonly byIdUnscopedQuery: (id: string) => CompiledQuery;
  /** Takes the ids as one parameter (a PostgreSQL array, a JSON array on SQLite): one prepared statement for any count. */
  private readonly byIdsUnscopedQuery: (ids: unknown) => CompiledQuery;
  private readonly postgres: boolean;
  /** By filter shape (see VALUE_FILTERS); building a list query costs more than running it. */
  private readonly listQueryShapes = new Map<string, ListQueries>();

  constructor(handle: Pick<DatabaseHandle, 'db' | 'read'>) {
    this.db = handle.db;
    this.read = handle.read;
    this.byIdQuery = reusableQuery(2, (id: string, accountId: string) =>
      this.db.selectFrom('recordings').selectAll().select(transcriptionStatusColumn()).where('id', '=', id).where('account_id', '=', accountId),
    );
    // Every signed media download looks its recording up by id alone.
    this.byIdUnscopedQuery = reusableQuery(1, (id: string) => this.db.selectFrom('recordings').selectAll().select(transcriptionStatusColumn()).where('id', '=', id));
    this.postgres = this.db.getExecutor().adapter instanceof PostgresAdapter;
    this.byIdsUnscopedQuery = reusableQuery(1, (ids: unknown) =>
      this.db
        .selectFrom('recordings')
        .selectAll()
        .select(transcriptionStatusColumn())
        .where(this.postgres ? sql<boolean>`id = any(${ids}::text[])` : sql<boolean>`id in (select value from json_each(${ids}))`),
    );
  }

  async insert(r: Recording): Promise<void> {
    await this.db
      .insertInto('recordings')
      .values({
        id: r.id,
        account_id: r.accountId,
        call_id: r.callId,
        status: r.status,
        source: r.source,
        channels: r.channels,
        sample_rate: r.sampleRate,
        duration_ms: r.durationMs,
        error_code: r.errorCode,
        error_message: r.errorMessage,
        date_created: r.dateCreated.toISOString(),
        date_updated: r.dateUpdated.toISOString(),
        ...mediaColumns('wav', r.media.wav),
        ...mediaColumns('mp3', r.media.mp3),
        details: JSON.stringify(r.details),
        storage_class: r.storageClass,
        tags: r.tags.length ? JSON.stringify(r.tags) : null,
        media_deleted_at: r.mediaDeletedAt?.toISOString() ?? null,
      } as Row)
      .execute();
  }

  async findById(accountId: string, id: string): Promise<Recording | null> {
    const [row] = await this.read<Row>(this.byIdQuery(id, accountId));
    return row ? recordingFromRow(row) : null;
  }

  async findByIdUnscoped(id: string): Promise<Recording | null> {
    const [row] = await this.read<Row>(this.byIdUnscopedQuery(id));
    return row ? recordingFromRow(row) : null;
  }

  async findManyByIdUnscoped(ids: string[]): Promise<Recording[]> {
    if (ids.length === 0) return [];
    const rows = await this.read<Row>(this.byIdsUnscopedQuery(this.postgres ? ids : JSON.stringify(ids)));
    return rows.map(recordingFromRow);
  }

  async list(accountId: string, filter: RecordingFilter, page: PageRequest): Promise<{ items: Recording[]; total: number; snippets?: Record<string, string> }> {
    if (filter.q !== undefined) return this.search(accountId, filter, page);
    const { rows, total } = await this.listPage<Row>('rows', accountId, filter, page);
    return { items: rows.map(recordingFromRow), total };
  }

  async listIds(accountId: string, filter: Omit<RecordingFilter, 'q'>, page: PageRequest): Promise<{ ids: string[]; total: number }> {
    const { rows, total } = await this.listPage<{ id: string }>('ids', accountId, filter, page);
    return { ids: rows.map((r) => r.id), total };
  }

  /** One page of a filter without `q` (whole rows or ids), and the count of all matches. */
  private async listPage<R>(what: 'rows' | 'ids', accountId: string, filter: Omit<RecordingFilter, 'q'>, page: PageRequest): Promise<{ rows: R[]; total: number }> {
    const present = VALUE_FILTERS.filter((key) => filter[key] !== undefined);
    const queries = this.listQueries(present, filter.integrity);
    const values = present.map((key) => boundValue(filter, key));
    const rows = await this.read<R>(queries[what](accountId, ...values, page.size, (page.page - 1) * page.size));
    const total = await pageTotal(rows, page, async () => (await this.read<{ n: number }>(queries.count(accountId, ...values)))[0].n);
    return { rows, total };
  }

  private listQueries(present: ValueFilter[], integrity: RecordingFilter['integrity']): ListQueries {
    const shape = `${present.join(',')}|${integrity ?? ''}`;
    let queries = this.listQueryShapes.get(shape);
    if (!queries) {
      const postgres = this.postgres;
      // The builders see each present filter's value as an opaque argument (dates included).
      const filterOf = (values: unknown[]): RecordingFilter => {
        const filter: Record<string, unknown> = { integrity };
        present.forEach((key, i) => (filter[key] = key.startsWith('created') ? { toISOString: () => values[i] } : values[i]));
        return filter as RecordingFilter;
      };
      const arity = 1 + present.length;
      const page = <O>(select: SelectQueryBuilder<Database, 'recordings', O>) =>
        reusableQuery(arity + 2, (accountId: unknown, ...rest: unknown[]) =>
          applyFilter(select, accountId as string, filterOf(rest), postgres)
            // id breaks ties between equal timestamps, so pages never overlap or skip.
            .orderBy('date_created', 'desc')
            .orderBy('id', 'desc')
            .limit(integerParameter(rest[present.length]))
            .offset(integerParameter(rest[present.length + 1])),
        );
      queries = {
        rows: page(this.db.selectFrom('recordings').selectAll().select(transcriptionStatusColumn())),
        // The filters' indexes end with (date_created, id): the ids of a page come from the index alone.
        ids: page(this.db.selectFrom('recordings').select('id')),
        count: reusableQuery(arity, (accountId: unknown, ...rest: unknown[]) =>
          applyFilter(this.db.selectFrom('recordings').select((eb) => eb.fn.countAll<number>().as('n')), accountId as string, filterOf(rest), postgres),
        ),
      };
      this.listQueryShapes.set(shape, queries);
    }
    return queries;
  }

  /** Full-text search: built per request, as the search terms appear more than once in the SQL. */
  private async search(accountId: string, filter: RecordingFilter, page: PageRequest): Promise<{ items: Recording[]; total: number; snippets: Record<string, string> }> {
    const postgres = this.postgres;
    let select = this.db.selectFrom('recordings').selectAll().select(transcriptionStatusColumn());
    select = select.select(transcriptSnippet(postgres, filter.q!).as('transcript_snippet')) as unknown as typeof select;
    const rows = await this.read<Row & { transcript_snippet?: string | null }>(
      // id breaks ties between equal timestamps, so pages never overlap or skip.
      paged(applyFilter(select, accountId, filter, postgres).orderBy('date_created', 'desc').orderBy('id', 'desc'), page).compile(),
    );
    const total = await pageTotal(rows, page, async () =>
      (await this.read<{ n: number }>(applyFilter(this.db.selectFrom('recordings').select((eb) => eb.fn.countAll<number>().as('n')), accountId, filter, postgres).compile()))[0].n,
    );
    const snippets: Record<string, string> = {};
    for (const r of rows) if (r.transcript_snippet) snippets[r.id] = r.transcript_snippet;
    return { items: rows.map(recordingFromRow), total, snippets };
  }

  async update(id: string, patch: RecordingPatch, now: Date, onlyIfStatus?: Recording['status']): Promise<boolean> {
    const values: Partial<Row> = { date_updated: now.toISOString() };
    if (patch.status !== undefined) values.status = patch.status;
    if (patch.durationMs !== undefined) values.duration_ms = patch.durationMs;
    if (patch.sampleRate !== undefined) values.sample_rate = patch.sampleRate;
    if (patch.channels !== undefined) values.channels = patch.channels;
    if (patch.errorCode !== undefined) values.error_code = patch.errorCode;
    if (patch.errorMessage !== undefined) values.error_message = patch.errorMessage;
    if (patch.details !== undefined) values.details = JSON.stringify(patch.details);
    if (patch.storageClass !== undefined) values.storage_class = patch.storageClass;
    if (patch.tags !== undefined) values.tags = patch.tags.length ? JSON.stringify(patch.tags) : null;
    if (patch.mediaDeletedAt !== undefined) values.media_deleted_at = patch.mediaDeletedAt?.toISOString() ?? null;
    for (const format of ['wav', 'mp3'] as const) {
      if (patch.media && format in patch.media) Object.assign(values, mediaColumns(format, patch.media[format]));
    }
    let q = this.db.updateTable('recordings').set(values).where('id', '=', id);
    if (onlyIfStatus) q = q.where('status', '=', onlyIfStatus);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async listStalledConversions(before: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('recordings')
      .select('id')
      .where('status', '=', 'in-progress')
      .where((eb) => eb.or([eb('wav_key', 'is not', null), eb('mp3_key', 'is not', null)]))
      .where('date_updated', '<', before.toISOString())
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async markArchived(id: string, now: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('recordings')
      .set({ storage_class: 'archive', retention_pending: 'archived', date_updated: now.toISOString() })
      .where('id', '=', id)
      .where('storage_class', '=', 'standard')
      .where('held', '=', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listRetentionPending(accountId: string, limit: number): Promise<Array<{ recording: Recording; pending: 'archived' | 'media_deleted' }>> {
    const rows = await this.db.selectFrom('recordings').selectAll().where('account_id', '=', accountId).where('retention_pending', 'is not', null).limit(limit).execute();
    return rows.map((row) => ({ recording: recordingFromRow(row), pending: row.retention_pending as 'archived' | 'media_deleted' }));
  }

  async clearRetentionPending(id: string): Promise<void> {
    await this.db.updateTable('recordings').set({ retention_pending: null }).where('id', '=', id).execute();
  }

  async clearMedia(id: string, now: Date): Promise<Recording | null> {
    const before = await this.findByIdUnscoped(id);
    if (!before || before.mediaDeletedAt || before.legalHold) return null;
    const r = await this.db
      .updateTable('recordings')
      .set({ ...mediaColumns('wav', null), ...mediaColumns('mp3', null), media_deleted_at: now.toISOString(), retention_pending: 'media_deleted', date_updated: now.toISOString() })
      .where('id', '=', id)
      .where('media_deleted_at', 'is', null)
      .where('held', '=', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? before : null;
  }

  async deleteMany(accountId: string, ids: string[]): Promise<Array<Pick<Recording, 'id' | 'storageClass' | 'media'>>> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .deleteFrom('recordings')
      .where('account_id', '=', accountId)
      .where('id', 'in', ids)
      .where('held', '=', 0)
      .returning(['id', 'storage_class', 'wav_key', 'wav_bytes', 'wav_sha256', 'mp3_key', 'mp3_bytes', 'mp3_sha256'])
      .execute();
    return rows.map((row) => ({ id: row.id, storageClass: row.storage_class as Recording['storageClass'], media: mediaOfRow(row) }));
  }

  async delete(accountId: string, id: string): Promise<Recording | null> {
    const row = await this.db.deleteFrom('recordings').where('id', '=', id).where('account_id', '=', accountId).where('held', '=', 0).returningAll().executeTakeFirst();
    return row ? recordingFromRow(row) : null;
  }
}
