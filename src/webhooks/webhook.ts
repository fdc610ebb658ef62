import { DomainError } from '../errors.js';

/**
 * Every event a webhook can carry, in one list: it drives validation of `events`, the
 * API enum and the README. A feature adding events (transcription.completed,
 * recording.archived, ...) appends them here and publishes them through WebhookPublisher.
 */
export const WEBHOOK_EVENT_TYPES = [
  'recording.in-progress',
  'recording.paused',
  'recording.resumed',
  'recording.completed',
  'recording.failed',
  'recording.deleted',
  'recording.archived',
  'recording.media_deleted',
  'recording.integrity_failed',
  'transcription.completed',
  'transcription.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** True for a name in WEBHOOK_EVENT_TYPES. */
export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** Id prefixes of this module's entities (see ids.ts for the scheme). */
export const WEBHOOK_ID_PREFIX = { endpoint: 'WH', delivery: 'WD', event: 'EV' } as const;

/** An account-level webhook endpoint. */
export interface WebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  /** Subscribed event types; null means every event, including ones added later. */
  events: WebhookEventType[] | null;
  /** `whsec_...`; the HMAC key of the signatures (the whole string, as UTF-8). */
  secret: string;
  enabled: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** True when the endpoint wants this event. */
export function subscribes(endpoint: WebhookEndpoint, type: string): boolean {
  return endpoint.enabled && (endpoint.events === null || (endpoint.events as string[]).includes(type));
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event on its way to one URL: the delivery log entry and the retry state. */
export interface WebhookDelivery {
  id: string;
  accountId: string;
  /** The endpoint it was made for; null for a recording's status callback (signed with the account's callback secret). */
  endpointId: string | null;
  targetUrl: string;
  eventId: string;
  eventType: string;
  /** The JSON body, exactly as (last) sent and signed. */
  payload: string;
  status: DeliveryStatus;
  /** HTTP attempts made so far. */
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

/** The account-wide secret that signs status callbacks. */
export interface CallbackSecret {
  secret: string;
  createdAt: Date;
}

/** Longest accepted webhook URL, in characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Checks a webhook or status-callback URL: absolute http(s), no credentials (fetch refuses
 * them), bounded length. Returns it normalised (WHATWG serialisation), so one URL has one spelling.
 */
export function normalizeWebhookUrl(raw: string): string {
  const invalid = (why: string) => new DomainError('invalid', 'invalid_webhook_url', `webhook url ${why}`, { parameter: 'url' });
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw invalid(`is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid(`"${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username || url.password) throw invalid('must not contain credentials; authenticate the request by its signature');
  return url.href;
}
