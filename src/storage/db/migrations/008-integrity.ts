import type { Kysely } from 'kysely';

/** Integrity checks: the outcome of the last re-read of each recording's stored media. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // ok | corrupt | missing; NULL until the first check.
  await db.schema.alterTable('recordings').addColumn('integrity_status', 'text').execute();
  await db.schema.alterTable('recordings').addColumn('integrity_checked_at', 'text').execute();
  await db.schema.alterTable('recordings').addColumn('integrity_detail', 'text').execute();
  // Serves the failure gauge (by status) and `GET /recordings?integrity=...` (status, then account).
  await db.schema.createIndex('recordings_integrity').on('recordings').columns(['integrity_status', 'account_id']).execute();
}
