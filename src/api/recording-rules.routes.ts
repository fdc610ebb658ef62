import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { RecordingRule } from '../calls/recording-rule.js';
import type { RecordingRulesService } from '../calls/recording-rules.service.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { CreateRuleBody, RecordingRuleSchema, RecordingSettingsSchema, RuleIdParams, UpdateRuleBody, type RecordingRuleView } from './recording-rules.schemas.js';

function view(r: RecordingRule): RecordingRuleView {
  return {
    id: r.id,
    account_id: r.accountId,
    name: r.name,
    priority: r.priority,
    enabled: r.enabled,
    match: r.match,
    action: r.action,
    date_created: r.createdAt.toISOString(),
    date_updated: r.updatedAt.toISOString(),
  };
}

/** `/recording-rules` and `/recording-settings`: what gets recorded automatically. */
export async function recordingRulesRoutes(app: FastifyInstance, deps: { accounts: AccountsService; rules: RecordingRulesService }): Promise<void> {
  requireApiKey(app, deps.accounts);
  const common = { tags: ['Recording rules'], security: [{ ApiKeyAuth: [] }] };
  type Params = { Params: Static<typeof RuleIdParams> };

  app.post<{ Body: Static<typeof CreateRuleBody> }>(
    '/recording-rules',
    { schema: { ...common, operationId: 'createRecordingRule', summary: 'Create a recording rule', body: CreateRuleBody, response: { 201: Type.Ref(RecordingRuleSchema), ...problemResponses(400, 401) } } },
    async (request, reply) => reply.code(201).send(view(await deps.rules.create(principalOf(request).accountId, request.body))),
  );

  app.get(
    '/recording-rules',
    { schema: { ...common, operationId: 'listRecordingRules', summary: 'List recording rules in evaluation order', response: { 200: Type.Object({ recording_rules: Type.Array(Type.Ref(RecordingRuleSchema)) }), ...problemResponses(401) } } },
    async (request) => ({ recording_rules: (await deps.rules.list(principalOf(request).accountId)).map(view) }),
  );

  app.get<Params>(
    '/recording-rules/:rule_id',
    { schema: { ...common, operationId: 'getRecordingRule', summary: 'Get a recording rule', params: RuleIdParams, response: { 200: Type.Ref(RecordingRuleSchema), ...problemResponses(401, 404) } } },
    async (request) => view(await deps.rules.get(principalOf(request).accountId, request.params.rule_id)),
  );

  app.patch<Params & { Body: Static<typeof UpdateRuleBody> }>(
    '/recording-rules/:rule_id',
    { schema: { ...common, operationId: 'updateRecordingRule', summary: 'Change a recording rule', params: RuleIdParams, body: UpdateRuleBody, response: { 200: Type.Ref(RecordingRuleSchema), ...problemResponses(400, 401, 404) } } },
    async (request) => view(await deps.rules.update(principalOf(request).accountId, request.params.rule_id, request.body)),
  );

  app.delete<Params>(
    '/recording-rules/:rule_id',
    { schema: { ...common, operationId: 'deleteRecordingRule', summary: 'Delete a recording rule', params: RuleIdParams, response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(401, 404) } } },
    async (request, reply) => {
      await deps.rules.delete(principalOf(request).accountId, request.params.rule_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/recording-settings',
    { schema: { ...common, operationId: 'getRecordingSettings', summary: 'The account default for calls no rule matches', response: { 200: Type.Ref(RecordingSettingsSchema), ...problemResponses(401) } } },
    async (request) => deps.rules.getSettings(principalOf(request).accountId),
  );

  app.put<{ Body: Static<typeof RecordingSettingsSchema> }>(
    '/recording-settings',
    { schema: { ...common, operationId: 'setRecordingSettings', summary: 'Set the account default', body: Type.Ref(RecordingSettingsSchema), response: { 200: Type.Ref(RecordingSettingsSchema), ...problemResponses(400, 401) } } },
    async (request) => deps.rules.setSettings(principalOf(request).accountId, request.body),
  );
}
