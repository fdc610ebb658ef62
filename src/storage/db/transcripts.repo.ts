import type { Kysely, Selectable } from 'kysely';
import type { StoredMedia } from '../../recordings/recording.js';
import type { TranscriptRepository } from '../../transcription/transcript.repo.js';
import type { Transcript, TranscriptionSettings } from '../../transcription/transcript.js';
import type { Database, TranscriptsTable } from './schema.js';

type Row = Selectable<TranscriptsTable>;

function media(key: string | null, bytes: number | null, sha256: string | null): StoredMedia | undefined {
  return key ? { key, bytes: Number(bytes ?? 0), sha256: sha256 ?? '' } : undefined;
}

function fromRow(row: Row): Transcript {
  const redactedMedia: Transcript['redactedMedia'] = {};
  const wav = media(row.redacted_wav_key, row.redacted_wav_bytes, row.redacted_wav_sha256);
  const mp3 = media(row.redacted_mp3_key, row.redacted_mp3_bytes, row.redacted_mp3_sha256);
  if (wav) redactedMedia.wav = wav;
  if (mp3) redactedMedia.mp3 = mp3;
  return {
    id: row.id,
    recordingId: row.recording_id,
    accountId: row.account_id,
    status: row.status as Transcript['status'],
    engine: row.engine,
    language: row.language,
    text: row.text,
    segments: JSON.parse(row.segments),
    options: JSON.parse(row.options),
    redactions: JSON.parse(row.redactions),
    redactedMedia,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    dateCreated: new Date(row.date_created),
    dateUpdated: new Date(row.date_updated),
  };
}

function toRow(t: Transcript): Row {
  const m = t.redactedMedia;
  return {
    id: t.id,
    recording_id: t.recordingId,
    account_id: t.accountId,
    status: t.status,
    engine: t.engine,
    language: t.language,
    text: t.text,
    segments: JSON.stringify(t.segments),
    options: JSON.stringify(t.options),
    redactions: JSON.stringify(t.redactions),
    redacted_wav_key: m.wav?.key ?? null,
    redacted_wav_bytes: m.wav?.bytes ?? null,
    redacted_wav_sha256: m.wav?.sha256 ?? null,
    redacted_mp3_key: m.mp3?.key ?? null,
    redacted_mp3_bytes: m.mp3?.bytes ?? null,
    redacted_mp3_sha256: m.mp3?.sha256 ?? null,
    error_code: t.errorCode,
    error_message: t.errorMessage,
    date_created: t.dateCreated.toISOString(),
    date_updated: t.dateUpdated.toISOString(),
  };
}

const bool = (v: number | null): boolean | null => (v === null || v === undefined ? null : Boolean(v));
const int = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);

/**
 * TranscriptRepository on Kysely. The search index follows the `text` column by itself
 * (SQLite triggers into FTS5, a generated tsvector on PostgreSQL; see migration 005).
 */
export class KyselyTranscriptRepository implements TranscriptRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async save(t: Transcript): Promise<void> {
    const row = toRow(t);
    const { id: _id, recording_id: _r, account_id: _a, date_created: _c, ...changes } = row;
    await this.db
      .insertInto('transcripts')
      .values(row)
      .onConflict((oc) => oc.column('recording_id').doUpdateSet(changes))
      .execute();
  }

  async findByRecording(accountId: string, recordingId: string): Promise<Transcript | null> {
    const row = await this.db.selectFrom('transcripts').selectAll().where('recording_id', '=', recordingId).where('account_id', '=', accountId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async findByRecordingUnscoped(recordingId: string): Promise<Transcript | null> {
    const row = await this.db.selectFrom('transcripts').selectAll().where('recording_id', '=', recordingId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async transition(recordingId: string, from: Transcript['status'][], to: Transcript['status'], now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('transcripts')
      .set({ status: to, date_updated: now.toISOString() })
      .where('recording_id', '=', recordingId)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(accountId: string, recordingId: string): Promise<Transcript | null> {
    const row = await this.db.deleteFrom('transcripts').where('recording_id', '=', recordingId).where('account_id', '=', accountId).returningAll().executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async getSettings(accountId: string): Promise<TranscriptionSettings> {
    const row = await this.db.selectFrom('transcription_settings').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    return { redact: bool(row?.redact ?? null), redactAudio: bool(row?.redact_audio ?? null) };
  }

  async putSettings(accountId: string, s: TranscriptionSettings): Promise<void> {
    const values = { redact: int(s.redact), redact_audio: int(s.redactAudio) };
    await this.db
      .insertInto('transcription_settings')
      .values({ account_id: accountId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
      .execute();
  }
}
