import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { Recording } from '../recordings/recording.js';
import type { RecordingEventSink, RecordingEventType } from '../recordings/recording-events.js';
import { queueDeliveryAttempt } from './delivery.js';
import { eventBody } from './webhook-payload.js';
import type { WebhookRepository } from './webhook.repo.js';
import { normalizeWebhookUrl, subscribes, WEBHOOK_ID_PREFIX, type WebhookDelivery, type WebhookEventType } from './webhook.js';

/** How long a process trusts its copy of an account's endpoints, ms. */
const ENDPOINT_CACHE_MS = 2000;

export interface WebhookPublisherDeps {
  repo: WebhookRepository;
  jobs: JobQueue;
  clock: Clock;
  log: Logger;
  /** The API representation of a recording (RecordingViewer.view), so webhooks carry what GET returns. */
  viewRecording: (recording: Recording) => object;
}

/**
 * Turns events into deliveries: one row per subscribed, enabled endpoint of the account
 * and one for the recording's status callback, written in one statement, then a
 * `webhook.deliver` job per row. Rows are written before jobs are queued, so a lost job
 * only delays a delivery (the sweep re-queues it), never loses it.
 */
export class WebhookPublisher implements RecordingEventSink {
  /**
   * Endpoints per account for a moment: a retention sweep publishes thousands of events a
   * second. Changes made in this process apply at once (invalidate); other processes see
   * them within ENDPOINT_CACHE_MS.
   */
  private readonly endpointCache = new Map<string, { endpoints: Awaited<ReturnType<WebhookRepository['listEndpoints']>>; until: number }>();

  constructor(private readonly deps: WebhookPublisherDeps) {}

  /** Forgets the cached endpoints of an account (they changed). */
  invalidate(accountId: string): void {
    this.endpointCache.delete(accountId);
  }

  private async endpointsOf(accountId: string) {
    const cached = this.endpointCache.get(accountId);
    if (cached && cached.until > Date.now()) return cached.endpoints;
    const endpoints = await this.deps.repo.listEndpoints(accountId);
    if (this.endpointCache.size > 10_000) this.endpointCache.clear();
    this.endpointCache.set(accountId, { endpoints, until: Date.now() + ENDPOINT_CACHE_MS });
    return endpoints;
  }

  /** RecordingEventSink: never throws into the recording flow; a failure is logged with the event. */
  async publish(type: RecordingEventType, recording: Recording, opts: { dedupeKey?: string } = {}): Promise<void> {
    try {
      // Rendered only when someone subscribes: most events of a sweep go nowhere.
      const data = () => {
        const view = { ...this.deps.viewRecording(recording) } as Record<string, unknown>;
        if (type === 'recording.deleted') {
          // The media is gone with the recording; links to it would only answer 404.
          delete view.media_url;
          delete view.media_urls;
        }
        return { recording: view };
      };
      await this.emit(type, recording.accountId, data, recording.details.statusCallback, opts.dedupeKey);
    } catch (err) {
      this.deps.log.error({ err, event: type, recordingId: recording.id, accountId: recording.accountId }, 'webhook event could not be recorded; it is lost');
    }
  }

  /**
   * Records one event for the account's subscribers (and `statusCallback`, if any) and queues
   * the first attempts. Returns the deliveries made; throws only when they could not be stored.
   */
  async emit(
    type: WebhookEventType,
    accountId: string,
    data: Record<string, unknown> | (() => Record<string, unknown>),
    statusCallback?: string,
    dedupeKey?: string,
  ): Promise<WebhookDelivery[]> {
    const targets = new Map<string, string | null>();
    for (const endpoint of await this.endpointsOf(accountId)) {
      if (subscribes(endpoint, type) && !targets.has(endpoint.url)) targets.set(endpoint.url, endpoint.id);
    }
    if (statusCallback) {
      try {
        const url = normalizeWebhookUrl(statusCallback);
        // Already an endpoint's URL: it gets the event once, signed with that endpoint's secret.
        if (!targets.has(url)) targets.set(url, null);
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, event: type, accountId }, 'status callback URL is not usable; skipped');
      }
    }
    if (targets.size === 0) return [];
    const now = this.deps.clock.now();
    // A dedupe key maps to one event id, and (event id, target) is unique: a republished event is stored once.
    const eventId = dedupeKey ? WEBHOOK_ID_PREFIX.event + createHash('sha256').update(`${accountId}:${dedupeKey}`).digest('hex').slice(0, 32) : newId(WEBHOOK_ID_PREFIX.event, now.getTime());
    const payload = eventBody({ id: eventId, type, created_at: now.toISOString(), data: typeof data === 'function' ? data() : data });
    const rows: WebhookDelivery[] = [...targets].map(([targetUrl, endpointId]) => ({
      id: newId(WEBHOOK_ID_PREFIX.delivery, now.getTime()),
      accountId,
      endpointId,
      targetUrl,
      eventId,
      eventType: type,
      payload,
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      deliveredAt: null,
    }));
    const inserted = await this.deps.repo.insertDeliveries(rows);
    await Promise.all(
      inserted.map((d) =>
        queueDeliveryAttempt(this.deps.jobs, d.id, 1, 0).catch((err) =>
          this.deps.log.warn({ err, deliveryId: d.id }, 'webhook delivery not queued; the sweep will queue it'),
        ),
      ),
    );
    return inserted;
  }
}
