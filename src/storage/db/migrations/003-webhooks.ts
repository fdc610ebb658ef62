import type { Kysely } from 'kysely';

/** Webhook endpoints, the delivery log (which is also the retry state) and each account's status-callback secret. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON array of event types; NULL: every event, including ones added later.
    .addColumn('events', 'text')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoints_account').on('webhook_endpoints').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    // No foreign key: the log outlives a deleted endpoint. NULL: a recording's status callback.
    .addColumn('endpoint_id', 'text')
    .addColumn('target_url', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  // An event reaches a URL once, however often its fan-out is retried.
  await db.schema.createIndex('webhook_deliveries_event_target').unique().on('webhook_deliveries').columns(['event_id', 'target_url']).execute();
  // The log, newest first per account, and per endpoint.
  await db.schema.createIndex('webhook_deliveries_account_created').on('webhook_deliveries').columns(['account_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_account_endpoint').on('webhook_deliveries').columns(['account_id', 'endpoint_id', 'created_at', 'id']).execute();
  // The sweep: pending deliveries by due time; pruning: finished ones by age.
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_status_created').on('webhook_deliveries').columns(['status', 'created_at']).execute();

  await db.schema
    .createTable('account_webhook_secrets')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
