import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { SipTrunk } from '../trunks/trunk.js';
import type { TrunksService } from '../trunks/trunks.service.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { CreateSipTrunkBody, SipTrunkIdParams, SipTrunkSchema, UpdateSipTrunkBody, type SipTrunkView } from './sip-trunks.schemas.js';

function view(t: SipTrunk): SipTrunkView {
  const out: SipTrunkView = {
    id: t.id,
    account_id: t.accountId,
    name: t.name,
    request_uri_user: t.requestUriUser,
    allowed_sources: t.allowedSources,
    date_created: t.createdAt.toISOString(),
    date_updated: t.updatedAt.toISOString(),
  };
  if (t.digest) out.digest_username = t.digest.username;
  return out;
}

/** `/sip-trunks`: which SIPREC clients may record into the account. */
export async function sipTrunksRoutes(app: FastifyInstance, deps: { accounts: AccountsService; trunks: TrunksService }): Promise<void> {
  requireApiKey(app, deps.accounts);
  const common = { tags: ['SIP trunks'], security: [{ ApiKeyAuth: [] }] };
  type Params = { Params: Static<typeof SipTrunkIdParams> };

  app.post<{ Body: Static<typeof CreateSipTrunkBody> }>(
    '/sip-trunks',
    { schema: { ...common, operationId: 'createSipTrunk', summary: 'Register a SIPREC client', body: CreateSipTrunkBody, response: { 201: Type.Ref(SipTrunkSchema), ...problemResponses(400, 401, 409) } } },
    async (request, reply) => {
      const b = request.body;
      const trunk = await deps.trunks.create(principalOf(request).accountId, { name: b.name, requestUriUser: b.request_uri_user, allowedSources: b.allowed_sources, digest: b.digest ?? null });
      return reply.code(201).send(view(trunk));
    },
  );

  app.get(
    '/sip-trunks',
    { schema: { ...common, operationId: 'listSipTrunks', summary: 'List SIP trunks', response: { 200: Type.Object({ sip_trunks: Type.Array(Type.Ref(SipTrunkSchema)) }), ...problemResponses(401) } } },
    async (request) => ({ sip_trunks: (await deps.trunks.list(principalOf(request).accountId)).map(view) }),
  );

  app.get<Params>(
    '/sip-trunks/:trunk_id',
    { schema: { ...common, operationId: 'getSipTrunk', summary: 'Get a SIP trunk', params: SipTrunkIdParams, response: { 200: Type.Ref(SipTrunkSchema), ...problemResponses(401, 404) } } },
    async (request) => view(await deps.trunks.get(principalOf(request).accountId, request.params.trunk_id)),
  );

  app.patch<Params & { Body: Static<typeof UpdateSipTrunkBody> }>(
    '/sip-trunks/:trunk_id',
    { schema: { ...common, operationId: 'updateSipTrunk', summary: 'Change a SIP trunk', params: SipTrunkIdParams, body: UpdateSipTrunkBody, response: { 200: Type.Ref(SipTrunkSchema), ...problemResponses(400, 401, 404, 409) } } },
    async (request) => {
      const b = request.body;
      return view(
        await deps.trunks.update(principalOf(request).accountId, request.params.trunk_id, { name: b.name, requestUriUser: b.request_uri_user, allowedSources: b.allowed_sources, digest: b.digest }),
      );
    },
  );

  app.delete<Params>(
    '/sip-trunks/:trunk_id',
    { schema: { ...common, operationId: 'deleteSipTrunk', summary: 'Delete a SIP trunk', params: SipTrunkIdParams, response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(401, 404) } } },
    async (request, reply) => {
      await deps.trunks.delete(principalOf(request).accountId, request.params.trunk_id);
      return reply.code(204).send();
    },
  );
}
