import type { CallbackSecret, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from './webhook.js';

/** Filters of `GET /webhook-deliveries`. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  eventType?: string;
  endpointId?: string;
}

/** The outcome of one attempt, written by the worker that claimed the delivery. */
export interface AttemptRecord {
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  /** The body as sent (media URLs are re-signed per attempt). */
  payload: string;
}

/** Persistence of webhook endpoints, the callback secret and the delivery log; every API read is account-scoped. */
export interface WebhookRepository {
  insertEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  updateEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  findEndpoint(accountId: string, id: string): Promise<WebhookEndpoint | null>;
  /** Unscoped, for the delivery worker (the delivery row names its endpoint). */
  findEndpointUnscoped(id: string): Promise<WebhookEndpoint | null>;
  /** Every endpoint of the account, newest first. */
  listEndpoints(accountId: string): Promise<WebhookEndpoint[]>;
  deleteEndpoint(accountId: string, id: string): Promise<boolean>;

  getCallbackSecret(accountId: string): Promise<CallbackSecret | null>;
  /** Stores `candidate` unless the account already has a secret; returns the one stored (first writer wins). */
  ensureCallbackSecret(accountId: string, candidate: CallbackSecret): Promise<CallbackSecret>;
  /** Replaces (or creates) the account's callback secret. */
  replaceCallbackSecret(accountId: string, secret: CallbackSecret): Promise<void>;

  /**
   * Inserts the deliveries of one event in one statement; a row whose (event id, target url)
   * already exists is skipped. Returns the rows actually inserted.
   */
  insertDeliveries(deliveries: WebhookDelivery[]): Promise<WebhookDelivery[]>;
  findDelivery(accountId: string, id: string): Promise<WebhookDelivery | null>;
  /** Newest first, and the count of all matches. */
  listDeliveries(accountId: string, filter: DeliveryFilter, page: { page: number; size: number }): Promise<{ items: WebhookDelivery[]; total: number }>;
  /**
   * Takes a pending delivery for one attempt: only when it is due by `dueBy` and nobody
   * holds it (no lease, or one that ran out before `now`); sets the lease to `leaseUntil`.
   * Null when another worker has it, it is not due, or it is finished.
   */
  claimDelivery(id: string, now: Date, dueBy: Date, leaseUntil: Date): Promise<WebhookDelivery | null>;
  /** Writes an attempt's outcome and drops the lease; false when the lease `leaseUntil` is no longer ours. */
  recordAttempt(id: string, leaseUntil: Date, record: AttemptRecord, now: Date): Promise<boolean>;
  /** Pending, unleased deliveries due before `dueBefore` (their job was lost): id and attempts so far. */
  listOverdue(now: Date, dueBefore: Date, limit: number): Promise<Array<{ id: string; attempts: number }>>;
  /** Deletes finished deliveries created before `before`; returns how many. */
  pruneFinished(before: Date): Promise<number>;
}
