import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { nextAttemptAt } from './retry-policy.js';
import type { WebhookPoster } from './webhook-http.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signing.js';
import type { AttemptRecord, WebhookRepository } from './webhook.repo.js';
import { ensureCallbackSecret } from './webhooks.service.js';
import type { WebhookDelivery } from './webhook.js';

/** One attempt may take this long, connect to last byte, in ms. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** A claimed delivery is ours this long (well past the timeout), in ms; a worker that dies mid-attempt frees it after that. */
const LEASE_MS = 60_000;
/** A job may start this early (clock differences between the queue and this process), in ms. */
const EARLY_TOLERANCE_MS = 1_000;
/** A pending delivery this far past its due time has lost its job; the sweep re-queues it, in ms. */
export const OVERDUE_GRACE_MS = 60_000;
/** Finished deliveries stay in the log this long, in ms. */
export const DELIVERY_LOG_RETENTION_MS = 30 * 24 * 3600 * 1000;

/**
 * Queues attempt number `attempt` of a delivery. The key names the attempt, so the
 * publisher, the worker and the sweep queueing the same attempt make one job, while the
 * next attempt can be queued by the job still running the current one.
 */
export function queueDeliveryAttempt(jobs: JobQueue, deliveryId: string, attempt: number, delaySeconds: number): Promise<string | null> {
  return jobs.send('webhook.deliver', { deliveryId }, { singletonKey: `webhook:${deliveryId}:${attempt}`, startAfterSeconds: delaySeconds > 0 ? delaySeconds : undefined });
}

export interface WebhookDelivererDeps {
  repo: WebhookRepository;
  jobs: JobQueue;
  clock: Clock;
  log: Logger;
  post: WebhookPoster;
  /** First retry delay, in seconds (WEBHOOK_RETRY_BASE_SECONDS); doubles per attempt up to an hour. */
  retryBaseSeconds: number;
  /** Rewrites a stored body before an attempt (re-signs media URLs); identity when absent. */
  refreshPayload?: (payload: string) => string;
  /** [0, 1) for retry jitter; injected by tests. */
  random?: () => number;
}

export type DeliveryOutcome = 'skipped' | 'succeeded' | 'retrying' | 'failed';

/**
 * Runs delivery attempts. Each attempt is one job: claim the row (so concurrent workers
 * cannot both send it), sign the body with the current timestamp, POST, record the
 * outcome and, on failure, queue the next attempt with exponential backoff until the
 * event is a day old. Idempotent: finished deliveries and deliveries held by another
 * worker are left alone.
 */
export class WebhookDeliverer {
  constructor(private readonly deps: WebhookDelivererDeps) {}

  /** Runs one attempt of a delivery, if it is pending, due and not held by another worker. */
  async deliver(deliveryId: string): Promise<DeliveryOutcome> {
    const { repo, clock, log } = this.deps;
    const started = clock.now();
    const lease = new Date(started.getTime() + LEASE_MS);
    const delivery = await repo.claimDelivery(deliveryId, started, new Date(started.getTime() + EARLY_TOLERANCE_MS), lease);
    if (!delivery) return 'skipped';

    const secret = await this.secretFor(delivery);
    if (secret.error !== undefined) {
      await this.record(delivery, lease, { ...unchanged(delivery), status: 'failed', lastError: secret.error, nextAttemptAt: null });
      return 'failed';
    }
    const body = this.deps.refreshPayload ? this.deps.refreshPayload(delivery.payload) : delivery.payload;
    const timestamp = Math.floor(clock.now().getTime() / 1000);
    const result = await this.deps.post(
      delivery.targetUrl,
      body,
      {
        'content-type': 'application/json',
        'user-agent': 'telefonie-webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader(secret.value, timestamp, body),
        'Telefonie-Event-Id': delivery.eventId,
        'Telefonie-Event-Type': delivery.eventType,
      },
      DELIVERY_TIMEOUT_MS,
    );
    const attempts = delivery.attempts + 1;
    const finished = clock.now();
    const outcome = { attempts, lastStatusCode: result.statusCode, lastError: result.error, payload: body };
    if (result.error === null) {
      await this.record(delivery, lease, { ...outcome, status: 'succeeded', nextAttemptAt: null, deliveredAt: finished });
      return 'succeeded';
    }
    const next = nextAttemptAt(delivery.createdAt, started, attempts, this.deps.retryBaseSeconds, this.deps.random);
    if (!next) {
      log.warn({ deliveryId, eventId: delivery.eventId, attempts, err: result.error }, 'webhook delivery failed for good');
      await this.record(delivery, lease, { ...outcome, status: 'failed', nextAttemptAt: null, deliveredAt: null });
      return 'failed';
    }
    if (!(await this.record(delivery, lease, { ...outcome, status: 'pending', nextAttemptAt: next, deliveredAt: null }))) return 'skipped';
    const delaySeconds = Math.max(1, Math.ceil((next.getTime() - finished.getTime()) / 1000));
    await queueDeliveryAttempt(this.deps.jobs, deliveryId, attempts + 1, delaySeconds).catch((err) =>
      log.warn({ err, deliveryId }, 'next webhook attempt not queued; the sweep will queue it'),
    );
    return 'retrying';
  }

  /**
   * Scheduled: re-queues pending deliveries whose job was lost (a failed send, a worker
   * killed between recording and queueing) and prunes old finished log entries.
   */
  async sweep(limit = 500): Promise<{ requeued: number; pruned: number }> {
    const now = this.deps.clock.now();
    const overdue = await this.deps.repo.listOverdue(now, new Date(now.getTime() - OVERDUE_GRACE_MS), limit);
    let requeued = 0;
    for (const d of overdue) {
      if (await queueDeliveryAttempt(this.deps.jobs, d.id, d.attempts + 1, 0)) requeued++;
    }
    const pruned = await this.deps.repo.pruneFinished(new Date(now.getTime() - DELIVERY_LOG_RETENTION_MS));
    if (requeued || pruned) this.deps.log.info({ requeued, pruned }, 'webhook sweep');
    return { requeued, pruned };
  }

  private async secretFor(delivery: WebhookDelivery): Promise<{ value: string; error?: undefined } | { error: string }> {
    if (delivery.endpointId === null) return { value: (await ensureCallbackSecret(this.deps.repo, this.deps.clock, delivery.accountId)).secret };
    const endpoint = await this.deps.repo.findEndpointUnscoped(delivery.endpointId);
    if (!endpoint) return { error: `webhook ${delivery.endpointId} was deleted` };
    if (!endpoint.enabled) return { error: `webhook ${delivery.endpointId} is disabled` };
    return { value: endpoint.secret };
  }

  private async record(delivery: WebhookDelivery, lease: Date, record: AttemptRecord): Promise<boolean> {
    const written = await this.deps.repo.recordAttempt(delivery.id, lease, record, this.deps.clock.now());
    if (!written) this.deps.log.warn({ deliveryId: delivery.id }, 'webhook delivery lease lost before its outcome was recorded');
    return written;
  }
}

function unchanged(d: WebhookDelivery): Omit<AttemptRecord, 'status' | 'nextAttemptAt'> {
  return { attempts: d.attempts, lastStatusCode: d.lastStatusCode, lastError: d.lastError, deliveredAt: d.deliveredAt, payload: d.payload };
}
