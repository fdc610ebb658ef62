import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DELIVERY_STATUSES, MAX_WEBHOOK_URL_LENGTH, WEBHOOK_EVENT_TYPES } from '../webhooks/webhook.js';
import { StringEnum } from './common.schemas.js';

const EventTypes = Type.Array(StringEnum(WEBHOOK_EVENT_TYPES), { minItems: 1, maxItems: 100 });
/** `schema` or null (rendered as `nullable: true` in the OpenAPI document). */
const Nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});

/** An account-level webhook endpoint; `secret` is whole on create and rotate-secret, masked otherwise. */
export const WebhookSchema = Type.Object(
  {
    id: Type.String({ description: 'Unique identifier (WH...)' }),
    account_id: Type.String(),
    url: Type.String({ description: 'Where events are POSTed (http or https)' }),
    events: Nullable(EventTypes, 'Subscribed event types; null means every event, including ones added later'),
    description: Nullable(Type.String()),
    enabled: Type.Boolean({ description: 'A disabled webhook receives nothing; its pending deliveries fail' }),
    secret: Type.String({ description: 'HMAC-SHA256 key of the Telefonie-Signature header: whole when created or rotated, masked (whsec_…last 4) otherwise' }),
    date_created: Type.String({ format: 'date-time' }),
    date_updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'Webhook' },
);
export type WebhookView = Static<typeof WebhookSchema>;

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH, description: 'Absolute http:// or https:// URL' }),
    events: Type.Optional(Nullable(EventTypes, 'Event types to send; omit or null for every event')),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH })),
    events: Type.Optional(Nullable(EventTypes, 'null: every event')),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const WebhookIdParams = Type.Object({ webhook_id: Type.String({ maxLength: 64 }) });

export const WebhookListSchema = Type.Object({ webhooks: Type.Array(Type.Ref(WebhookSchema)) });

/** The account-wide secret signing status callbacks (per-recording `status_callback` URLs). */
export const CallbackSecretSchema = Type.Object({
  secret: Type.String({ description: 'HMAC-SHA256 key of the Telefonie-Signature header on status callbacks' }),
  date_created: Type.String({ format: 'date-time' }),
});

/** One event on its way to one URL: what was tried and how it went. */
export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'Unique identifier (WD...)' }),
    account_id: Type.String(),
    webhook_id: Nullable(Type.String(), 'The webhook it was made for; null for a status callback'),
    target_url: Type.String(),
    event_id: Type.String({ description: 'EV...: the same in every attempt (the Telefonie-Event-Id header); de-duplicate on it' }),
    event_type: Type.String(),
    status: StringEnum(DELIVERY_STATUSES, { description: 'pending (retrying), succeeded (a 2xx answer) or failed (gave up)' }),
    attempts: Type.Integer({ description: 'HTTP attempts made' }),
    last_status_code: Nullable(Type.Integer(), 'HTTP status of the last attempt; null when none answered'),
    last_error: Nullable(Type.String(), 'Why the last attempt failed'),
    next_attempt_at: Nullable(Type.String({ format: 'date-time' }), 'When the next attempt is due (pending only)'),
    delivered_at: Nullable(Type.String({ format: 'date-time' })),
    date_created: Type.String({ format: 'date-time', description: 'When the event happened' }),
    date_updated: Type.String({ format: 'date-time' }),
    payload: Type.Optional(Type.String({ description: 'The JSON body as last sent (single-delivery reads only)' })),
  },
  { $id: 'WebhookDelivery' },
);
export type WebhookDeliveryView = Static<typeof WebhookDeliverySchema>;

export const ListDeliveriesQuery = Type.Object({
  status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
  event_type: Type.Optional(Type.String({ maxLength: 64 })),
  webhook_id: Type.Optional(Type.String({ maxLength: 64 })),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Page number (1-based)' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Results per page' })),
});

export const DeliveryListSchema = Type.Object({
  deliveries: Type.Array(Type.Ref(WebhookDeliverySchema)),
  total: Type.Integer({ description: 'Deliveries matching the filters, across all pages' }),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const DeliveryIdParams = Type.Object({ delivery_id: Type.String({ maxLength: 64 }) });
