import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The channel on which PostgreSQL announces changed recordings (see PgRecordingChanges). */
export const RECORDING_CHANGES_CHANNEL = 'telefonie_recording_changes';

/**
 * PostgreSQL only: statement-level triggers announce every change to a recording or its
 * transcript on RECORDING_CHANGES_CHANNEL, so each process's recording cache drops what
 * another process changed. The payload is the changed recording ids, comma-separated; a
 * statement that changed many sends several, each under NOTIFY's 8000-byte limit, so a
 * retention batch drops only its own recordings from the caches, not everything.
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
          -- Ids are at most 64 characters: 100 per notification stays under 8000 bytes.
          FOR ids IN SELECT string_agg(id, ',') FROM (SELECT ${column} AS id, (row_number() OVER ()) / 100 AS part FROM changed_rows) numbered GROUP BY part LOOP
            PERFORM pg_notify('${RECORDING_CHANGES_CHANNEL}', ids);
          END LOOP;
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
