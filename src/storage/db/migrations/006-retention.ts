import type { Kysely } from 'kysely';

/** Retention policies, legal holds, the archive tier, tags and quotas. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('recordings').addColumn('storage_class', 'text', (c) => c.notNull().defaultTo('standard')).execute();
  // Number of active legal holds covering the recording; retention and deletion skip held ones.
  await db.schema.alterTable('recordings').addColumn('held', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('recordings').addColumn('tags', 'text').execute();
  await db.schema.alterTable('recordings').addColumn('media_deleted_at', 'text').execute();
  // Set with a retention state change (archived, media_deleted) until its follow-up (file removal,
  // webhook) is done, so a sweep killed in between is finished by the next one.
  await db.schema.alterTable('recordings').addColumn('retention_pending', 'text').execute();
  await db.schema.createIndex('recordings_retention').on('recordings').columns(['account_id', 'held', 'date_created']).execute();

  await db.schema
    .createTable('retention_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('match', 'text', (c) => c.notNull())
    .addColumn('archive_after_days', 'integer')
    .addColumn('delete_media_after_days', 'integer')
    .addColumn('delete_after_days', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retention_policies_account').on('retention_policies').columns(['account_id', 'priority']).execute();

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('released_at', 'text')
    .execute();
  await db.schema.createIndex('legal_holds_account').on('legal_holds').columns(['account_id', 'created_at']).execute();
  await db.schema
    .createTable('legal_hold_items')
    .addColumn('hold_id', 'text', (c) => c.notNull())
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('legal_hold_items_pk', ['hold_id', 'recording_id'])
    .execute();
  await db.schema.createIndex('legal_hold_items_recording').on('legal_hold_items').columns(['recording_id']).execute();

  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('media_deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // Quotas: NULL means unlimited.
  await db.schema.alterTable('accounts').addColumn('quota_bytes', 'bigint').execute();
  await db.schema.alterTable('accounts').addColumn('quota_minutes', 'integer').execute();
}
