import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { generateWebhookSecret } from './webhook-signing.js';
import type { DeliveryFilter, WebhookRepository } from './webhook.repo.js';
import { isWebhookEventType, normalizeWebhookUrl, WEBHOOK_EVENT_TYPES, WEBHOOK_ID_PREFIX, type CallbackSecret, type WebhookDelivery, type WebhookEndpoint, type WebhookEventType } from './webhook.js';

/** Fields a client sets on an endpoint. */
export interface WebhookInput {
  url?: string;
  /** null or absent on create: every event. */
  events?: string[] | null;
  description?: string | null;
  enabled?: boolean;
}

function validateEvents(events: string[] | null | undefined): WebhookEventType[] | null {
  if (events === null || events === undefined) return null;
  if (events.length === 0) throw new DomainError('invalid', 'invalid_event_type', 'events needs at least one event type (omit it, or send null, for all events)', { parameter: 'events' });
  for (const e of events) {
    if (!isWebhookEventType(e)) {
      throw new DomainError('invalid', 'invalid_event_type', `unknown event type "${e}"; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`, { parameter: 'events' });
    }
  }
  return [...new Set(events)] as WebhookEventType[];
}

function cleanDescription(description: string | null | undefined): string | null {
  const trimmed = description?.trim();
  return trimmed ? trimmed : null;
}

/** Webhook endpoints (CRUD), the account's status-callback secret and the delivery log, all scoped to an account. */
export class WebhooksService {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly clock: Clock,
    /** Told when an account's endpoints change (the publisher's cache). */
    private readonly onChange: (accountId: string) => void = () => {},
  ) {}

  /** Creates an endpoint with a fresh secret (returned here and by rotateSecret only). */
  async create(accountId: string, input: WebhookInput & { url: string }): Promise<WebhookEndpoint> {
    const now = this.clock.now();
    const endpoint: WebhookEndpoint = {
      id: newId(WEBHOOK_ID_PREFIX.endpoint, now.getTime()),
      accountId,
      url: normalizeWebhookUrl(input.url),
      events: validateEvents(input.events),
      secret: generateWebhookSecret(),
      enabled: input.enabled ?? true,
      description: cleanDescription(input.description),
      createdAt: now,
      updatedAt: now,
    };
    await this.assertUrlFree(accountId, endpoint.url);
    await this.repo.insertEndpoint(endpoint);
    this.onChange(accountId);
    return endpoint;
  }

  /** One endpoint of the account; 404 for unknown ids and other accounts' alike. */
  async get(accountId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.repo.findEndpoint(accountId, id);
    if (!endpoint) throw notFound('webhook_not_found', `webhook ${id} not found`);
    return endpoint;
  }

  /** The account's endpoints, newest first. */
  list(accountId: string): Promise<WebhookEndpoint[]> {
    return this.repo.listEndpoints(accountId);
  }

  /** Changes the given fields; the secret only changes through rotateSecret. */
  async update(accountId: string, id: string, input: WebhookInput): Promise<WebhookEndpoint> {
    const endpoint = await this.get(accountId, id);
    if (input.url !== undefined) {
      const url = normalizeWebhookUrl(input.url);
      if (url !== endpoint.url) await this.assertUrlFree(accountId, url);
      endpoint.url = url;
    }
    if (input.events !== undefined) endpoint.events = validateEvents(input.events);
    if (input.description !== undefined) endpoint.description = cleanDescription(input.description);
    if (input.enabled !== undefined) endpoint.enabled = input.enabled;
    endpoint.updatedAt = this.clock.now();
    await this.repo.updateEndpoint(endpoint);
    this.onChange(accountId);
    return endpoint;
  }

  /** Deletes an endpoint; its log entries stay, and its pending deliveries fail at their next attempt. */
  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.repo.deleteEndpoint(accountId, id))) throw notFound('webhook_not_found', `webhook ${id} not found`);
    this.onChange(accountId);
  }

  /** Replaces an endpoint's secret; pending retries are signed with the new one. */
  async rotateSecret(accountId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.get(accountId, id);
    endpoint.secret = generateWebhookSecret();
    endpoint.updatedAt = this.clock.now();
    await this.repo.updateEndpoint(endpoint);
    this.onChange(accountId);
    return endpoint;
  }

  /** The secret signing this account's status callbacks, created on first use. */
  callbackSecret(accountId: string): Promise<CallbackSecret> {
    return ensureCallbackSecret(this.repo, this.clock, accountId);
  }

  /** Replaces the status-callback secret. */
  async rotateCallbackSecret(accountId: string): Promise<CallbackSecret> {
    const secret = { secret: generateWebhookSecret(), createdAt: this.clock.now() };
    await this.repo.replaceCallbackSecret(accountId, secret);
    return secret;
  }

  /** A page of the delivery log, newest first, with the count of all matches. */
  listDeliveries(accountId: string, filter: DeliveryFilter, page: { page: number; size: number }): Promise<{ items: WebhookDelivery[]; total: number }> {
    return this.repo.listDeliveries(accountId, filter, page);
  }

  /** One delivery log entry of the account. */
  async getDelivery(accountId: string, id: string): Promise<WebhookDelivery> {
    const delivery = await this.repo.findDelivery(accountId, id);
    if (!delivery) throw notFound('webhook_delivery_not_found', `webhook delivery ${id} not found`);
    return delivery;
  }

  // Each event goes to a URL once (deliveries are unique per event and URL), so two endpoints
  // with one URL would leave the second silent: refuse the second instead.
  private async assertUrlFree(accountId: string, url: string): Promise<void> {
    if ((await this.repo.listEndpoints(accountId)).some((e) => e.url === url)) {
      throw new DomainError('conflict', 'webhook_url_taken', `another webhook of this account already sends to ${url}`, { parameter: 'url' });
    }
  }
}

/** The account's callback secret, generated and stored on first use (concurrent first uses agree on one). */
export async function ensureCallbackSecret(repo: WebhookRepository, clock: Clock, accountId: string): Promise<CallbackSecret> {
  return (await repo.getCallbackSecret(accountId)) ?? repo.ensureCallbackSecret(accountId, { secret: generateWebhookSecret(), createdAt: clock.now() });
}
