import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditLog } from '../compliance/audit/audit-log.js';
import type { AuditRepository } from '../compliance/audit/audit.repo.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { API_PREFIX } from './openapi.js';

const AuditEventSchema = Type.Object(
  {
    seq: Type.Integer({ description: 'Position in the hash chain' }),
    id: Type.String(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: 'API key id, signed-url, system or cli' }),
    action: Type.String(),
    resource_type: Type.Optional(Type.String()),
    resource_id: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    details: Type.Object({}, { additionalProperties: true }),
    prev_hash: Type.String(),
    hash: Type.String(),
  },
  { $id: 'AuditEvent' },
);

const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 200 })),
  actor: Type.Optional(Type.String({ maxLength: 100 })),
  resource_id: Type.Optional(Type.String({ maxLength: 100 })),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
});

const createdIds = new WeakMap<FastifyRequest, string>();

/**
 * Audits every successful authenticated API request: who (key id), what (method and route),
 * which resource (the first path parameter), from where. One hook instead of one call per
 * route, so a new route cannot forget to audit.
 */
export function auditApiRequests(app: FastifyInstance, audit: AuditLog): void {
  // Callback-style hooks: they run on every request, and an async hook costs a promise each.
  // A create has no id in its path: take the new resource's id from the 201 body.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 201 && typeof payload === 'string') {
      try {
        createdIds.set(request, String(JSON.parse(payload).id ?? ''));
      } catch {
        // not JSON: nothing to note
      }
    }
    done(null, payload);
  });
  // Each route's resource type and action, worked out once per route and method.
  const routeNames = new Map<string, { action: string; resourceType: string | null }>();
  app.addHook('onResponse', (request: FastifyRequest, reply, done) => {
    const principal = (request as { principal?: { accountId: string; keyId: string } | null }).principal;
    if (principal && reply.statusCode < 400) {
      const route = request.routeOptions.url ?? request.url;
      const key = `${request.method} ${route}`;
      let names = routeNames.get(key);
      if (!names) {
        names = { action: key, resourceType: route.slice(API_PREFIX.length + 1).split('/')[0] || null };
        // Only route patterns are kept: a bounded set (a raw URL is not).
        if (request.routeOptions.url) routeNames.set(key, names);
      }
      let resourceId: string | undefined;
      for (const k in request.params as Record<string, string>) {
        resourceId = (request.params as Record<string, string>)[k];
        break;
      }
      audit.record({
        accountId: principal.accountId,
        actor: principal.keyId,
        action: names.action,
        resourceType: names.resourceType,
        resourceId: resourceId ?? (createdIds.get(request) || null),
        ip: request.ip,
        details: { status: reply.statusCode },
      });
    }
    done();
  });
}

/** `GET /audit-events`: the account's audit trail, newest first. */
export async function auditRoutes(app: FastifyInstance, deps: { accounts: AccountsService; repo: AuditRepository; audit: AuditLog }): Promise<void> {
  requireApiKey(app, deps.accounts);
  app.addSchema(AuditEventSchema);
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit-events',
    {
      schema: {
        tags: ['Audit'],
        security: [{ ApiKeyAuth: [] }],
        operationId: 'listAuditEvents',
        summary: 'The audit trail: reads, changes, deletions, holds, retention actions, downloads',
        querystring: AuditQuery,
        response: { 200: Type.Object({ audit_events: Type.Array(Type.Ref(AuditEventSchema)), total: Type.Integer() }), ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      // Events still in the buffer belong in the answer.
      await deps.audit.flush();
      const q = request.query;
      const { items, total } = await deps.repo.list(
        principalOf(request).accountId,
        { action: q.action, actor: q.actor, resourceId: q.resource_id, since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined },
        { page: q.page ?? 1, size: q.page_size ?? 50 },
      );
      return {
        audit_events: items.map((e) => ({
          seq: e.seq, id: e.id, at: e.at, actor: e.actor, action: e.action, resource_type: e.resourceType ?? undefined, resource_id: e.resourceId ?? undefined,
          ip: e.ip ?? undefined, details: e.details, prev_hash: e.prevHash, hash: e.hash,
        })),
        total,
      };
    },
  );
}
