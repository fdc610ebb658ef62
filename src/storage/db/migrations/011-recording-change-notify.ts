import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The channel on which PostgreSQL announces changed recordings (see PgRecordingChanges). */
export const RECORDING_CHANGES_CHANNEL = 'telefonie_recording_changes';

/**
 * PostgreSQL only: statement-level triggers announce every change to a recording or its
 * transcript on RECORDING_CHANGES_CHANNEL, so each process's recording cache drops what
 * another process changed. The payload is the changed recording ids, comma-separated, or
 * `*` when a statement touched so many that the list would pass NOTIFY's 8000-byte limit.
 * NOTIFY is transactional: listeners hear of a change when it commits, never before.
 * (SQLite needs nothing: one process, and other connections show in PRAGMA data_version.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const [table, column] of [['recordings', 'id'], ['transcripts', 'recording_id']] as const) {
    await sql
      .raw(
        `CREATE FUNCTION telefonie_notify_${table}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE ids text;
        BEGIN
          SELECT CASE WHEN count(*) > 200 THEN '*' ELSE string_agg(${column}, ',') END INTO ids FROM changed_rows;
          IF ids IS NOT NULL THEN PERFORM pg_notify('${RECORDING_CHANGES_CHANNEL}', ids); END IF;
          RETURN NULL;
        END $$`,
      )
      .execute(db);
    // A transition table names the changed rows; UPDATE and DELETE see the old ones (ids never change).
    const events = table === 'recordings' ? ['UPDATE', 'DELETE'] : ['INSERT', 'UPDATE', 'DELETE'];
    for (const event of events) {
      const rows = event === 'INSERT' ? 'NEW' : 'OLD';
      await sql
        .raw(
          `CREATE TRIGGER ${table}_${event.toLowerCase()}_notify AFTER ${event} ON ${table}
           REFERENCING ${rows} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION telefonie_notify_${table}_changed()`,
        )
        .execute(db);
    }
  }
}
