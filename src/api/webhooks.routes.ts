import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import { maskSecret } from '../webhooks/webhook-signing.js';
import type { CallbackSecret, WebhookDelivery, WebhookEndpoint } from '../webhooks/webhook.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import {
  CallbackSecretSchema,
  CreateWebhookBody,
  DeliveryIdParams,
  DeliveryListSchema,
  ListDeliveriesQuery,
  UpdateWebhookBody,
  WebhookDeliverySchema,
  WebhookIdParams,
  WebhookListSchema,
  WebhookSchema,
  type WebhookDeliveryView,
  type WebhookView,
} from './webhooks.schemas.js';

function view(w: WebhookEndpoint, revealSecret = false): WebhookView {
  return {
    id: w.id,
    account_id: w.accountId,
    url: w.url,
    events: w.events,
    description: w.description,
    enabled: w.enabled,
    secret: revealSecret ? w.secret : maskSecret(w.secret),
    date_created: w.createdAt.toISOString(),
    date_updated: w.updatedAt.toISOString(),
  };
}

function deliveryView(d: WebhookDelivery, withPayload = false): WebhookDeliveryView {
  const out: WebhookDeliveryView = {
    id: d.id,
    account_id: d.accountId,
    webhook_id: d.endpointId,
    target_url: d.targetUrl,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
    delivered_at: d.deliveredAt?.toISOString() ?? null,
    date_created: d.createdAt.toISOString(),
    date_updated: d.updatedAt.toISOString(),
  };
  if (withPayload) out.payload = d.payload;
  return out;
}

const secretView = (s: CallbackSecret) => ({ secret: s.secret, date_created: s.createdAt.toISOString() });

/** `/webhooks` (endpoints and the status-callback secret) and `/webhook-deliveries` (the delivery log). */
export async function webhooksRoutes(app: FastifyInstance, deps: { accounts: AccountsService; webhooks: WebhooksService }): Promise<void> {
  requireApiKey(app, deps.accounts);
  const common = { tags: ['Webhooks'], security: [{ ApiKeyAuth: [] }] };
  type Params = { Params: Static<typeof WebhookIdParams> };

  app.post<{ Body: Static<typeof CreateWebhookBody> }>(
    '/webhooks',
    {
      schema: {
        ...common,
        operationId: 'createWebhook',
        summary: 'Create a webhook',
        description: 'Registers a URL for signed event notifications. The response is the only one (with rotate-secret) that shows the whole `secret`.',
        body: CreateWebhookBody,
        response: { 201: Type.Ref(WebhookSchema), ...problemResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await deps.webhooks.create(principalOf(request).accountId, { url: b.url, events: b.events, description: b.description, enabled: b.enabled });
      return reply.code(201).header('location', `/v1/recordings/webhooks/${created.id}`).send(view(created, true));
    },
  );

  app.get(
    '/webhooks',
    { schema: { ...common, operationId: 'listWebhooks', summary: 'List webhooks', response: { 200: WebhookListSchema, ...problemResponses(401) } } },
    async (request) => ({ webhooks: (await deps.webhooks.list(principalOf(request).accountId)).map((w) => view(w)) }),
  );

  // Static paths before `/webhooks/:webhook_id` in the document; the router prefers them anyway.
  app.get(
    '/webhooks/callback-secret',
    {
      schema: {
        ...common,
        operationId: 'getCallbackSecret',
        summary: 'Get the status-callback secret',
        description: "The key signing requests to recordings' `status_callback` URLs (created on first use).",
        response: { 200: CallbackSecretSchema, ...problemResponses(401) },
      },
    },
    async (request) => secretView(await deps.webhooks.callbackSecret(principalOf(request).accountId)),
  );

  app.post(
    '/webhooks/callback-secret/rotate',
    {
      schema: {
        ...common,
        operationId: 'rotateCallbackSecret',
        summary: 'Replace the status-callback secret',
        description: 'Status callbacks are signed with the new secret from now on, pending retries included.',
        response: { 200: CallbackSecretSchema, ...problemResponses(401) },
      },
    },
    async (request) => secretView(await deps.webhooks.rotateCallbackSecret(principalOf(request).accountId)),
  );

  app.get<Params>(
    '/webhooks/:webhook_id',
    { schema: { ...common, operationId: 'getWebhook', summary: 'Get a webhook', params: WebhookIdParams, response: { 200: Type.Ref(WebhookSchema), ...problemResponses(401, 404) } } },
    async (request) => view(await deps.webhooks.get(principalOf(request).accountId, request.params.webhook_id)),
  );

  app.patch<Params & { Body: Static<typeof UpdateWebhookBody> }>(
    '/webhooks/:webhook_id',
    {
      schema: { ...common, operationId: 'updateWebhook', summary: 'Change a webhook', params: WebhookIdParams, body: UpdateWebhookBody, response: { 200: Type.Ref(WebhookSchema), ...problemResponses(400, 401, 404, 409) } },
    },
    async (request) => {
      const b = request.body;
      return view(await deps.webhooks.update(principalOf(request).accountId, request.params.webhook_id, { url: b.url, events: b.events, description: b.description, enabled: b.enabled }));
    },
  );

  app.delete<Params>(
    '/webhooks/:webhook_id',
    {
      schema: {
        ...common,
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook',
        description: 'Its delivery log stays; its pending deliveries fail at their next attempt.',
        params: WebhookIdParams,
        response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await deps.webhooks.delete(principalOf(request).accountId, request.params.webhook_id);
      return reply.code(204).send();
    },
  );

  app.post<Params>(
    '/webhooks/:webhook_id/rotate-secret',
    {
      schema: {
        ...common,
        operationId: 'rotateWebhookSecret',
        summary: "Replace a webhook's secret",
        description: 'Returns the webhook with its new, whole secret; every request from now on (pending retries too) is signed with it.',
        params: WebhookIdParams,
        response: { 200: Type.Ref(WebhookSchema), ...problemResponses(401, 404) },
      },
    },
    async (request) => view(await deps.webhooks.rotateSecret(principalOf(request).accountId, request.params.webhook_id), true),
  );

  app.get<{ Querystring: Static<typeof ListDeliveriesQuery> }>(
    '/webhook-deliveries',
    {
      schema: {
        ...common,
        operationId: 'listWebhookDeliveries',
        summary: 'List webhook deliveries',
        description: 'The delivery log, newest first: one entry per event and URL, with its attempts and outcome. Finished entries are kept 30 days.',
        querystring: ListDeliveriesQuery,
        response: { 200: DeliveryListSchema, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = q.page ?? 1;
      const size = q.page_size ?? 20;
      const { items, total } = await deps.webhooks.listDeliveries(principalOf(request).accountId, { status: q.status, eventType: q.event_type, endpointId: q.webhook_id }, { page, size });
      return { deliveries: items.map((d) => deliveryView(d)), total, page, page_size: size };
    },
  );

  app.get<{ Params: Static<typeof DeliveryIdParams> }>(
    '/webhook-deliveries/:delivery_id',
    {
      schema: {
        ...common,
        operationId: 'getWebhookDelivery',
        summary: 'Get a webhook delivery',
        description: 'One log entry, with the JSON body as last sent.',
        params: DeliveryIdParams,
        response: { 200: Type.Ref(WebhookDeliverySchema), ...problemResponses(401, 404) },
      },
    },
    async (request) => deliveryView(await deps.webhooks.getDelivery(principalOf(request).accountId, request.params.delivery_id), true),
  );
}
