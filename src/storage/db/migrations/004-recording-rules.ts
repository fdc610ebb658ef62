import type { Kysely } from 'kysely';

/** Automatic recording rules and each account's default (record everything or nothing). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recording_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('match', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('recording_rules_account').on('recording_rules').columns(['account_id', 'priority']).execute();
  // Existing accounts keep recording every call, as before rules existed.
  await db.schema.alterTable('accounts').addColumn('recording_default', 'text', (c) => c.notNull().defaultTo('record')).execute();
  // NULL: the server's RECORDING_CHANNELS.
  await db.schema.alterTable('accounts').addColumn('recording_channels', 'integer').execute();
  await db.schema.alterTable('accounts').addColumn('recording_transcribe', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
