import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * PostgreSQL only: a new recording is announced too (migration 011 announced updates and
 * deletes, all a cache of recordings by id needs). The recording cache also keeps list pages,
 * and a recording another process inserts can belong on any of them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`CREATE TRIGGER recordings_insert_notify AFTER INSERT ON recordings
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION telefonie_notify_recordings_changed()`.execute(db);
}
