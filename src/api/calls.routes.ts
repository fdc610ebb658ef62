import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { Call } from '../calls/call.js';
import type { CallRepository } from '../calls/call.repo.js';
import type { RecordingControlService } from '../calls/recording-control.service.js';
import { notFound } from '../errors.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { CallIdParams, CallSchema, ListCallsQuery, StartRecordingBody, type CallView } from './calls.schemas.js';
import type { RecordingViewer } from './recording-view.js';
import { RecordingSchema } from './recordings.schemas.js';

function view(c: Call): CallView {
  const out: CallView = {
    call_id: c.callId,
    account_id: c.accountId,
    status: c.status,
    ingest: c.ingest,
    date_started: c.startedAt.toISOString(),
    recordings_url: `/v1/recordings/recordings?call_id=${encodeURIComponent(c.callId)}`,
  };
  if (c.from) out.from = c.from;
  if (c.to) out.to = c.to;
  if (c.direction) out.direction = c.direction;
  if (c.endedAt) {
    out.date_ended = c.endedAt.toISOString();
    out.duration = Math.round((c.endedAt.getTime() - c.startedAt.getTime()) / 1000);
  }
  const details = c.details as { channelMap?: CallView['channel_map']; customParameters?: Record<string, unknown> };
  if (details.channelMap) out.channel_map = details.channelMap;
  if (details.customParameters) out.custom_parameters = Object.fromEntries(Object.entries(details.customParameters).map(([k, v]) => [k, String(v)]));
  return out;
}

/** `/calls`: live and recent calls, and on-demand recording of a live one. */
export async function callsRoutes(app: FastifyInstance, deps: { accounts: AccountsService; calls: CallRepository; control: RecordingControlService; viewer: RecordingViewer }): Promise<void> {
  requireApiKey(app, deps.accounts);
  const common = { tags: ['Calls'], security: [{ ApiKeyAuth: [] }] };

  app.get<{ Querystring: Static<typeof ListCallsQuery> }>(
    '/calls',
    { schema: { ...common, operationId: 'listCalls', summary: 'List calls', description: 'Live and recent calls, newest first.', querystring: ListCallsQuery, response: { 200: Type.Object({ calls: Type.Array(Type.Ref(CallSchema)), total: Type.Integer(), page: Type.Integer(), page_size: Type.Integer() }), ...problemResponses(400, 401) } } },
    async (request) => {
      const q = request.query;
      const page = q.page ?? 1;
      const size = q.page_size ?? 20;
      const { items, total } = await deps.calls.list(
        principalOf(request).accountId,
        { status: q.status, ingest: q.ingest, startedAfter: q.date_started_after ? new Date(q.date_started_after) : undefined, startedBefore: q.date_started_before ? new Date(q.date_started_before) : undefined },
        { page, size },
      );
      return { calls: items.map(view), total, page, page_size: size };
    },
  );

  app.get<{ Params: Static<typeof CallIdParams> }>(
    '/calls/:call_id',
    { schema: { ...common, operationId: 'getCall', summary: 'Get a call', params: CallIdParams, response: { 200: Type.Ref(CallSchema), ...problemResponses(401, 404) } } },
    async (request) => {
      const call = await deps.calls.findByCallId(principalOf(request).accountId, request.params.call_id);
      if (!call) throw notFound('call_not_found', `call ${request.params.call_id} not found`);
      return view(call);
    },
  );

  app.post<{ Params: Static<typeof CallIdParams>; Body: Static<typeof StartRecordingBody> }>(
    '/calls/:call_id/recordings',
    {
      schema: {
        ...common,
        operationId: 'startCallRecording',
        summary: 'Start recording a live call',
        description: 'Starts an on-demand recording from now on. 404 for an unknown call, 409 for a call that has ended. Several recordings of one call may exist.',
        params: CallIdParams,
        body: StartRecordingBody,
        response: { 201: Type.Ref(RecordingSchema), ...problemResponses(400, 401, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body ?? {};
      const recording = await deps.control.startOnDemand(principalOf(request).accountId, request.params.call_id, {
        channels: b.channels ?? 2,
        track: b.track ?? 'both',
        maxDurationSeconds: b.max_duration,
        transcribe: b.transcribe,
        statusCallback: b.status_callback,
      });
      return reply.code(201).header('location', `/v1/recordings/recordings/${recording.id}`).send(deps.viewer.view(recording));
    },
  );
}
