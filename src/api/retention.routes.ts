import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { LegalHoldsService } from '../compliance/legal-holds.service.js';
import type { RetentionPoliciesService } from '../compliance/retention-policies.service.js';
import type { RetentionPolicy } from '../compliance/retention-policy.js';
import type { RetentionSweeper } from '../compliance/retention-sweep.service.js';
import type { LegalHold } from '../compliance/retention.repo.js';
import type { UsageService } from '../compliance/usage.service.js';
import { DomainError } from '../errors.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import {
  CreateHoldBody,
  CreatePolicyBody,
  HoldIdParams,
  LegalHoldSchema,
  PolicyIdParams,
  RetentionPolicySchema,
  UpdatePolicyBody,
  UsageQuery,
  type LegalHoldView,
  type RetentionPolicyView,
} from './retention.schemas.js';

function policyView(p: RetentionPolicy): RetentionPolicyView {
  return {
    id: p.id,
    account_id: p.accountId,
    name: p.name,
    priority: p.priority,
    is_default: p.isDefault,
    match: { source: p.match.source as RetentionPolicyView['match']['source'], channels: p.match.channels, tags: p.match.tags, rule_id: p.match.ruleId, metadata: p.match.metadata },
    archive_after_days: p.archiveAfterDays,
    delete_media_after_days: p.deleteMediaAfterDays,
    delete_after_days: p.deleteAfterDays,
    date_created: p.createdAt.toISOString(),
    date_updated: p.updatedAt.toISOString(),
  };
}

function holdView(h: LegalHold): LegalHoldView {
  const out: LegalHoldView = {
    id: h.id,
    account_id: h.accountId,
    reason: h.reason,
    status: h.releasedAt ? 'released' : 'active',
    recording_count: h.recordingCount,
    date_created: h.createdAt.toISOString(),
  };
  if (h.filter.recordingIds) out.recording_ids = h.filter.recordingIds;
  if (h.filter.callId) out.call_id = h.filter.callId;
  if (h.filter.createdAfter) out.date_created_after = h.filter.createdAfter;
  if (h.filter.createdBefore) out.date_created_before = h.filter.createdBefore;
  if (h.releasedAt) out.date_released = h.releasedAt.toISOString();
  return out;
}

function policyInput(b: Static<typeof CreatePolicyBody>) {
  return {
    name: b.name,
    priority: b.priority,
    isDefault: b.is_default,
    match: b.match && { source: b.match.source, channels: b.match.channels, tags: b.match.tags, ruleId: b.match.rule_id, metadata: b.match.metadata },
    archiveAfterDays: b.archive_after_days,
    deleteMediaAfterDays: b.delete_media_after_days,
    deleteAfterDays: b.delete_after_days,
  };
}

export interface RetentionRouteDeps {
  accounts: AccountsService;
  policies: RetentionPoliciesService;
  sweeper: RetentionSweeper;
  holds: LegalHoldsService;
  usage: UsageService;
}

/** `/retention-policies`, `/legal-holds` and `/usage`: storage management. */
export async function retentionRoutes(app: FastifyInstance, deps: RetentionRouteDeps): Promise<void> {
  requireApiKey(app, deps.accounts);
  const policyTags = { tags: ['Retention'], security: [{ ApiKeyAuth: [] }] };
  type PolicyParams = { Params: Static<typeof PolicyIdParams> };

  app.post<{ Body: Static<typeof CreatePolicyBody> }>(
    '/retention-policies',
    { schema: { ...policyTags, operationId: 'createRetentionPolicy', summary: 'Create a retention policy', body: CreatePolicyBody, response: { 201: Type.Ref(RetentionPolicySchema), ...problemResponses(400, 401, 409) } } },
    async (request, reply) => reply.code(201).send(policyView(await deps.policies.create(principalOf(request).accountId, policyInput(request.body)))),
  );

  app.get(
    '/retention-policies',
    { schema: { ...policyTags, operationId: 'listRetentionPolicies', summary: 'List retention policies', response: { 200: Type.Object({ retention_policies: Type.Array(Type.Ref(RetentionPolicySchema)) }), ...problemResponses(401) } } },
    async (request) => ({ retention_policies: (await deps.policies.list(principalOf(request).accountId)).map(policyView) }),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/retention-policies/preview',
    {
      schema: {
        ...policyTags,
        operationId: 'previewRetention',
        summary: 'What the policies would do now, without doing it',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })) }),
        response: {
          200: Type.Object({
            actions: Type.Array(Type.Object({ recording_id: Type.String(), action: Type.String({ description: 'archive, delete_media or delete' }), policy_id: Type.String(), due_at: Type.String({ format: 'date-time' }) })),
            truncated: Type.Boolean(),
          }),
          ...problemResponses(401),
        },
      },
    },
    async (request) => {
      const { actions, truncated } = await deps.sweeper.preview(principalOf(request).accountId, request.query.limit ?? 1000);
      return { actions: actions.map((a) => ({ recording_id: a.recordingId, action: a.action, policy_id: a.policyId, due_at: a.dueAt.toISOString() })), truncated };
    },
  );

  app.get<PolicyParams>(
    '/retention-policies/:policy_id',
    { schema: { ...policyTags, operationId: 'getRetentionPolicy', summary: 'Get a retention policy', params: PolicyIdParams, response: { 200: Type.Ref(RetentionPolicySchema), ...problemResponses(401, 404) } } },
    async (request) => policyView(await deps.policies.get(principalOf(request).accountId, request.params.policy_id)),
  );

  app.patch<PolicyParams & { Body: Static<typeof UpdatePolicyBody> }>(
    '/retention-policies/:policy_id',
    { schema: { ...policyTags, operationId: 'updateRetentionPolicy', summary: 'Change a retention policy', params: PolicyIdParams, body: UpdatePolicyBody, response: { 200: Type.Ref(RetentionPolicySchema), ...problemResponses(400, 401, 404) } } },
    async (request) => policyView(await deps.policies.update(principalOf(request).accountId, request.params.policy_id, policyInput(request.body))),
  );

  app.delete<PolicyParams>(
    '/retention-policies/:policy_id',
    { schema: { ...policyTags, operationId: 'deleteRetentionPolicy', summary: 'Delete a retention policy', params: PolicyIdParams, response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(401, 404) } } },
    async (request, reply) => {
      await deps.policies.delete(principalOf(request).accountId, request.params.policy_id);
      return reply.code(204).send();
    },
  );

  const holdTags = { tags: ['Legal holds'], security: [{ ApiKeyAuth: [] }] };
  app.post<{ Body: Static<typeof CreateHoldBody> }>(
    '/legal-holds',
    { schema: { ...holdTags, operationId: 'createLegalHold', summary: 'Place a legal hold', description: 'Over recording ids, or a filter (call_id, creation time range) applied to the recordings that exist now.', body: CreateHoldBody, response: { 201: Type.Ref(LegalHoldSchema), ...problemResponses(400, 401) } } },
    async (request, reply) => {
      const b = request.body;
      const hold = await deps.holds.create(principalOf(request).accountId, {
        reason: b.reason,
        recordingIds: b.recording_ids,
        callId: b.call_id,
        createdAfter: b.date_created_after ? new Date(b.date_created_after) : undefined,
        createdBefore: b.date_created_before ? new Date(b.date_created_before) : undefined,
      });
      return reply.code(201).send(holdView(hold));
    },
  );

  app.get(
    '/legal-holds',
    { schema: { ...holdTags, operationId: 'listLegalHolds', summary: 'List legal holds', response: { 200: Type.Object({ legal_holds: Type.Array(Type.Ref(LegalHoldSchema)) }), ...problemResponses(401) } } },
    async (request) => ({ legal_holds: (await deps.holds.list(principalOf(request).accountId)).map(holdView) }),
  );

  app.get<{ Params: Static<typeof HoldIdParams> }>(
    '/legal-holds/:hold_id',
    { schema: { ...holdTags, operationId: 'getLegalHold', summary: 'Get a legal hold', params: HoldIdParams, response: { 200: Type.Ref(LegalHoldSchema), ...problemResponses(401, 404) } } },
    async (request) => holdView(await deps.holds.get(principalOf(request).accountId, request.params.hold_id)),
  );

  app.post<{ Params: Static<typeof HoldIdParams> }>(
    '/legal-holds/:hold_id/release',
    { schema: { ...holdTags, operationId: 'releaseLegalHold', summary: 'Release a legal hold', params: HoldIdParams, response: { 200: Type.Ref(LegalHoldSchema), ...problemResponses(401, 404, 409) } } },
    async (request) => holdView(await deps.holds.release(principalOf(request).accountId, request.params.hold_id)),
  );

  app.get<{ Querystring: Static<typeof UsageQuery> }>(
    '/usage',
    {
      schema: {
        tags: ['Usage'],
        security: [{ ApiKeyAuth: [] }],
        operationId: 'getUsage',
        summary: 'Recordings, minutes and bytes by status, format, storage class and day, with the storage price and quotas',
        querystring: UsageQuery,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const accountId = principalOf(request).accountId;
      const end = request.query.end ? new Date(request.query.end) : new Date();
      const start = request.query.start ? new Date(request.query.start) : new Date(end.getTime() - 30 * 86_400_000);
      if (start >= end) throw new DomainError('invalid', 'invalid_range', 'start must be before end');
      const report = await deps.usage.report(accountId, start, end);
      const warning = await deps.usage.warning(accountId);
      if (warning) reply.header('telefonie-quota-warning', warning);
      return report;
    },
  );
}
