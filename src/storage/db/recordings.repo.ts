import type { CompiledQuery, Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import { reusableQuery } from './reusable-query.js';
import type { Database, RecordingsTable } from './schema.js';
import type { DatabaseHandle } from './database.js';
import type { RecordingPatch, RecordingRepository } from '../../recordings/recording.repo.js';
import type { MediaFormat, PageRequest, Recording, RecordingFilter, StoredMedia } from '../../recordings/recording.js';

type Row = Selectable<RecordingsTable>;

function mediaFromRow(key: string | null, bytes: number | null, sha256: string | null): StoredMedia | undefined {
  return key ? { key, bytes: bytes ?? 0, sha256: sha256 ?? '' } : undefined;
}

/** Maps a row to the domain type. */
export function recordingFromRow(row: Row): Recording {
  const media: Recording['media'] = {};
  const wav = mediaFromRow(row.wav_key, row.wav_bytes, row.wav_sha256);
  const mp3 = mediaFromRow(row.mp3_key, row.mp3_bytes, row.mp3_sha256);
  if (wav) media.wav = wav;
  if (mp3) media.mp3 = mp3;
  return {
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
): SelectQueryBuilder<Database, 'recordings', O> {
  let q = query.where('account_id', '=', accountId);
  if (filter.callId !== undefined) q = q.where('call_id', '=', filter.callId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.source !== undefined) q = q.where('source', '=', filter.source);
  if (filter.createdAfter) q = q.where('date_created', '>=', filter.createdAfter.toISOString());
  if (filter.createdBefore) q = q.where('date_created', '<', filter.createdBefore.toISOString());
  return q;
}

/** RecordingRepository on Kysely: the same SQL on SQLite and PostgreSQL. */
export class KyselyRecordingRepository implements RecordingRepository {
  private readonly db: Kysely<Database>;
  private readonly read: DatabaseHandle['read'];

  private readonly byIdQuery: (id: string, accountId: string) => CompiledQuery;

  constructor(handle: Pick<DatabaseHandle, 'db' | 'read'>) {
    this.db = handle.db;
    this.read = handle.read;
    this.byIdQuery = reusableQuery(2, (id: string, accountId: string) =>
      this.db.selectFrom('recordings').selectAll().where('id', '=', id).where('account_id', '=', accountId),
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
      } as Row)
      .execute();
  }

  async findById(accountId: string, id: string): Promise<Recording | null> {
    const [row] = await this.read<Row>(this.byIdQuery(id, accountId));
    return row ? recordingFromRow(row) : null;
  }

  async findByIdUnscoped(id: string): Promise<Recording | null> {
    const [row] = await this.read<Row>(this.db.selectFrom('recordings').selectAll().where('id', '=', id).compile());
    return row ? recordingFromRow(row) : null;
  }

  async list(accountId: string, filter: RecordingFilter, page: PageRequest): Promise<{ items: Recording[]; total: number }> {
    const rows = await this.read<Row>(
      applyFilter(this.db.selectFrom('recordings').selectAll(), accountId, filter)
        // id breaks ties between equal timestamps, so pages never overlap or skip.
        .orderBy('date_created', 'desc')
        .orderBy('id', 'desc')
        .limit(page.size)
        .offset((page.page - 1) * page.size)
        .compile(),
    );
    const [counted] = await this.read<{ n: number }>(
      applyFilter(this.db.selectFrom('recordings').select((eb) => eb.fn.countAll<number>().as('n')), accountId, filter).compile(),
    );
    return { items: rows.map(recordingFromRow), total: Number(counted.n) };
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

  async delete(accountId: string, id: string): Promise<Recording | null> {
    const row = await this.db.deleteFrom('recordings').where('id', '=', id).where('account_id', '=', accountId).returningAll().executeTakeFirst();
    return row ? recordingFromRow(row) : null;
  }
}
