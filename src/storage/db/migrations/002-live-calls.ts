import type { Kysely } from 'kysely';

/** SIP trunks (who may send SIPREC) and calls (live and ended sessions that recordings belong to). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sip_trunks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // The Request-URI user part routes an INVITE to exactly one trunk, across all accounts.
    .addColumn('request_uri_user', 'text', (c) => c.notNull().unique())
    .addColumn('allowed_sources', 'text', (c) => c.notNull())
    .addColumn('auth_username', 'text')
    .addColumn('auth_password', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sip_trunks_account').on('sip_trunks').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('ingest', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trunk_id', 'text')
    .addColumn('from_uri', 'text')
    .addColumn('to_uri', 'text')
    .addColumn('direction', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('calls_account_call').unique().on('calls').columns(['account_id', 'call_id']).execute();
  await db.schema.createIndex('calls_account_started').on('calls').columns(['account_id', 'started_at', 'id']).execute();
  await db.schema.createIndex('calls_status').on('calls').columns(['status']).execute();
}
