import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Transcripts (one per recording, removed with it), each account's redaction settings,
 * and full-text search over transcript text: an FTS5 table kept in step by triggers on
 * SQLite, a generated tsvector column with a GIN index on PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('transcripts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recording_id', 'text', (c) => c.notNull().unique().references('recordings.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('engine', 'text', (c) => c.notNull())
    .addColumn('language', 'text')
    .addColumn('text', 'text')
    // JSON: segments with words; options asked for; redaction offsets.
    .addColumn('segments', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('redactions', 'text', (c) => c.notNull())
    .addColumn('redacted_wav_key', 'text')
    .addColumn('redacted_wav_bytes', 'bigint')
    .addColumn('redacted_wav_sha256', 'text')
    .addColumn('redacted_mp3_key', 'text')
    .addColumn('redacted_mp3_bytes', 'bigint')
    .addColumn('redacted_mp3_sha256', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('date_created', 'text', (c) => c.notNull())
    .addColumn('date_updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('transcripts_account').on('transcripts').columns(['account_id', 'date_created']).execute();

  await db.schema
    .createTable('transcription_settings')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    // NULL: the server default (REDACTION_DEFAULT / REDACTION_AUDIO_DEFAULT).
    .addColumn('redact', 'integer')
    .addColumn('redact_audio', 'integer')
    .execute();

  if (postgres) {
    // 'simple': words as spoken, no stemming or stop words, like SQLite's unicode61 tokenizer.
    await sql`ALTER TABLE transcripts ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(text, ''))) STORED`.execute(db);
    await sql`CREATE INDEX transcripts_search ON transcripts USING gin (search)`.execute(db);
  } else {
    await sql`CREATE VIRTUAL TABLE transcripts_fts USING fts5(recording_id UNINDEXED, text, tokenize = 'unicode61')`.execute(db);
    // Triggers keep the index in step with every write, including the cascade when a recording is deleted.
    await sql`CREATE TRIGGER transcripts_fts_insert AFTER INSERT ON transcripts WHEN new.text IS NOT NULL BEGIN
      INSERT INTO transcripts_fts (rowid, recording_id, text) VALUES (new.rowid, new.recording_id, new.text); END`.execute(db);
    await sql`CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcripts BEGIN
      DELETE FROM transcripts_fts WHERE rowid = old.rowid; END`.execute(db);
    await sql`CREATE TRIGGER transcripts_fts_update AFTER UPDATE OF text ON transcripts BEGIN
      DELETE FROM transcripts_fts WHERE rowid = old.rowid;
      INSERT INTO transcripts_fts (rowid, recording_id, text) SELECT new.rowid, new.recording_id, new.text WHERE new.text IS NOT NULL; END`.execute(db);
  }
}
