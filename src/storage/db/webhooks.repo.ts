import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.js';
import type { AttemptRecord, DeliveryFilter, WebhookRepository } from '../../webhooks/webhook.repo.js';
import type { CallbackSecret, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../webhooks/webhook.js';
import { paged, pageTotal } from './paging.js';

type EndpointRow = Selectable<WebhookEndpointsTable>;
type DeliveryRow = Selectable<WebhookDeliveriesTable>;

const dateOrNull = (iso: string | null): Date | null => (iso ? new Date(iso) : null);
const isoOrNull = (date: Date | null): string | null => (date ? date.toISOString() : null);

function endpointFromRow(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    events: row.events === null ? null : JSON.parse(row.events),
    secret: row.secret,
    enabled: Number(row.enabled) === 1,
    description: row.description,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function endpointToRow(e: WebhookEndpoint): EndpointRow {
  return {
    id: e.id,
    account_id: e.accountId,
    url: e.url,
    events: e.events === null ? null : JSON.stringify(e.events),
    secret: e.secret,
    enabled: e.enabled ? 1 : 0,
    description: e.description,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

function deliveryFromRow(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    accountId: row.account_id,
    endpointId: row.endpoint_id,
    targetUrl: row.target_url,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    nextAttemptAt: dateOrNull(row.next_attempt_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    deliveredAt: dateOrNull(row.delivered_at),
  };
}

function deliveryToRow(d: WebhookDelivery): DeliveryRow {
  return {
    id: d.id,
    account_id: d.accountId,
    endpoint_id: d.endpointId,
    target_url: d.targetUrl,
    event_id: d.eventId,
    event_type: d.eventType,
    payload: d.payload,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    next_attempt_at: isoOrNull(d.nextAttemptAt),
    locked_until: null,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
    delivered_at: isoOrNull(d.deliveredAt),
  };
}

function applyFilter<O>(query: SelectQueryBuilder<Database, 'webhook_deliveries', O>, accountId: string, filter: DeliveryFilter): SelectQueryBuilder<Database, 'webhook_deliveries', O> {
  let q = query.where('account_id', '=', accountId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.eventType !== undefined) q = q.where('event_type', '=', filter.eventType);
  if (filter.endpointId !== undefined) q = q.where('endpoint_id', '=', filter.endpointId);
  return q;
}

/** WebhookRepository on Kysely: the same SQL on SQLite and PostgreSQL. */
export class KyselyWebhookRepository implements WebhookRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    await this.db.insertInto('webhook_endpoints').values(endpointToRow(endpoint)).execute();
  }

  async updateEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    const { id, account_id, created_at, ...values } = endpointToRow(endpoint);
    await this.db.updateTable('webhook_endpoints').set(values).where('id', '=', id).where('account_id', '=', account_id).execute();
  }

  async findEndpoint(accountId: string, id: string): Promise<WebhookEndpoint | null> {
    const row = await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row ? endpointFromRow(row) : null;
  }

  async findEndpointUnscoped(id: string): Promise<WebhookEndpoint | null> {
    const row = await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? endpointFromRow(row) : null;
  }

  async listEndpoints(accountId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(endpointFromRow);
  }

  async deleteEndpoint(accountId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async getCallbackSecret(accountId: string): Promise<CallbackSecret | null> {
    const row = await this.db.selectFrom('account_webhook_secrets').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    return row ? { secret: row.secret, createdAt: new Date(row.created_at) } : null;
  }

  async ensureCallbackSecret(accountId: string, candidate: CallbackSecret): Promise<CallbackSecret> {
    await this.db
      .insertInto('account_webhook_secrets')
      .values({ account_id: accountId, secret: candidate.secret, created_at: candidate.createdAt.toISOString() })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
    return (await this.getCallbackSecret(accountId))!;
  }

  async replaceCallbackSecret(accountId: string, secret: CallbackSecret): Promise<void> {
    const values = { secret: secret.secret, created_at: secret.createdAt.toISOString() };
    await this.db
      .insertInto('account_webhook_secrets')
      .values({ account_id: accountId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
      .execute();
  }

  async insertDeliveries(deliveries: WebhookDelivery[]): Promise<WebhookDelivery[]> {
    if (deliveries.length === 0) return [];
    const inserted = await this.db
      .insertInto('webhook_deliveries')
      .values(deliveries.map(deliveryToRow))
      .onConflict((oc) => oc.columns(['event_id', 'target_url']).doNothing())
      .returning('id')
      .execute();
    const ids = new Set(inserted.map((r) => r.id));
    return deliveries.filter((d) => ids.has(d.id));
  }

  async findDelivery(accountId: string, id: string): Promise<WebhookDelivery | null> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row ? deliveryFromRow(row) : null;
  }

  async listDeliveries(accountId: string, filter: DeliveryFilter, page: { page: number; size: number }): Promise<{ items: WebhookDelivery[]; total: number }> {
    // id breaks ties between equal timestamps (one event's deliveries share one), so pages never overlap.
    const rows = await paged(applyFilter(this.db.selectFrom('webhook_deliveries').selectAll(), accountId, filter).orderBy('created_at', 'desc').orderBy('id', 'desc'), page).execute();
    const total = await pageTotal(rows, page, async () => (await applyFilter(this.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')), accountId, filter).executeTakeFirstOrThrow()).n);
    return { items: rows.map(deliveryFromRow), total };
  }

  async claimDelivery(id: string, now: Date, dueBy: Date, leaseUntil: Date): Promise<WebhookDelivery | null> {
    const nowIso = now.toISOString();
    // One conditional UPDATE: of two workers claiming at once, exactly one gets the row back.
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: leaseUntil.toISOString(), updated_at: nowIso })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', dueBy.toISOString())
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso)]))
      .returningAll()
      .executeTakeFirst();
    return row ? deliveryFromRow(row) : null;
  }

  async recordAttempt(id: string, leaseUntil: Date, record: AttemptRecord, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: record.status,
        attempts: record.attempts,
        last_status_code: record.lastStatusCode,
        last_error: record.lastError,
        next_attempt_at: isoOrNull(record.nextAttemptAt),
        delivered_at: isoOrNull(record.deliveredAt),
        payload: record.payload,
        locked_until: null,
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .where('locked_until', '=', leaseUntil.toISOString())
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async listOverdue(now: Date, dueBefore: Date, limit: number): Promise<Array<{ id: string; attempts: number }>> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'attempts'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<', dueBefore.toISOString())
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now.toISOString())]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, attempts: Number(r.attempts) }));
  }

  async pruneFinished(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('webhook_deliveries')
      .where('status', 'in', ['succeeded', 'failed'])
      .where('created_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
