import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { RecordingsService } from '../recordings/recordings.service.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import type { RecordingViewer } from './recording-view.js';
import { ListRecordingsQuery, RecordingIdParams, RecordingListSchema, RecordingSchema, UploadQuery, type ListRecordingsQueryT, type RecordingView } from './recordings.schemas.js';
import { readUploadBody, registerUploadParsers } from './upload-body.js';
import type { RecordingControlService } from '../calls/recording-control.service.js';
import { ControlRecordingBody } from './calls.schemas.js';
import { Type } from '@sinclair/typebox';
import { DomainError } from '../errors.js';
import type { UsageService } from '../compliance/usage.service.js';

/** One Recording: GET /recordings/{id}'s response and each item of a list. */
const RecordingRef = Type.Ref(RecordingSchema);
const JSON_UTF8 = 'application/json; charset=utf-8';

/** Splits a comma-separated tag list; tags are trimmed, non-empty, at most 20 of 64 characters. */
function parseTags(raw: string | undefined): string[] {
  const tags = (raw ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (tags.length > 20 || tags.some((t) => t.length > 64)) throw new DomainError('invalid', 'invalid_tags', 'at most 20 tags of at most 64 characters each');
  return [...new Set(tags)];
}

export interface RecordingsRouteDeps {
  usage: UsageService;
  accounts: AccountsService;
  recordings: RecordingsService;
  control: RecordingControlService;
  viewer: RecordingViewer;
  maxUploadBytes: number;
}

/** `/recordings`: the seed contract (list, get, delete) plus uploads. */
export async function recordingsRoutes(app: FastifyInstance, deps: RecordingsRouteDeps): Promise<void> {
  requireApiKey(app, deps.accounts);
  registerUploadParsers(app, deps.maxUploadBytes);
  const security = [{ ApiKeyAuth: [] }];

  app.get<{ Querystring: ListRecordingsQueryT }>(
    '/recordings',
    {
      schema: {
        operationId: 'listRecordings',
        summary: 'List Recordings',
        description: 'Retrieve a list of call recordings in your account, newest first.',
        tags: ['Recordings'],
        security,
        querystring: ListRecordingsQuery,
        response: { 200: RecordingListSchema, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const page = q.page ?? 1;
      const size = q.page_size ?? 20;
      const { items, total, snippets } = await deps.recordings.list(
        principalOf(request).accountId,
        {
          callId: q.call_id,
          status: q.status,
          source: q.source,
          createdAfter: q.date_created_after ? new Date(q.date_created_after) : undefined,
          createdBefore: q.date_created_before ? new Date(q.date_created_before) : undefined,
          integrity: q.integrity,
          q: q.q,
        },
        { page, size },
      );
      if (snippets) return { recordings: items.map((r) => (snippets[r.id] ? { ...deps.viewer.view(r), snippet: snippets[r.id] } : deps.viewer.view(r))), total, page, page_size: size };
      // Each item is the Recording that GET /recordings/{id} serves, serialised by the same
      // schema: the viewer's kept text of a cached recording is reused, ~12 µs of a call's list.
      const serializeOne = reply.compileSerializationSchema(RecordingRef) as (view: RecordingView) => string;
      const bodies = items.map((r) => deps.viewer.rendered(r, serializeOne));
      return reply.type(JSON_UTF8).send(`{"recordings":[${bodies.join(',')}],"total":${total},"page":${page},"page_size":${size}}`);
    },
  );

  app.get<{ Params: Static<typeof RecordingIdParams> }>(
    '/recordings/:recording_id',
    {
      schema: {
        operationId: 'getRecording',
        summary: 'Get Recording',
        description: 'Retrieve details and download URL for a specific recording.',
        tags: ['Recordings'],
        security,
        params: RecordingIdParams,
        response: { 200: RecordingRef, ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const recording = await deps.recordings.get(principalOf(request).accountId, request.params.recording_id);
      // Serialised by this route's response schema, as Fastify would; a string is sent as it is.
      const body = deps.viewer.rendered(recording, (view) => reply.serialize(view) as string);
      return reply.type(JSON_UTF8).send(body);
    },
  );

  app.delete<{ Params: Static<typeof RecordingIdParams> }>(
    '/recordings/:recording_id',
    {
      schema: {
        operationId: 'deleteRecording',
        summary: 'Delete Recording',
        description: 'Permanently delete a call recording and its media.',
        tags: ['Recordings'],
        security,
        params: RecordingIdParams,
        response: { 204: { description: 'Recording deleted', type: 'null' }, ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await deps.recordings.delete(principalOf(request).accountId, request.params.recording_id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof RecordingIdParams>; Body: Static<typeof ControlRecordingBody> }>(
    '/recordings/:recording_id',
    {
      schema: {
        operationId: 'updateRecording',
        summary: 'Pause, resume or stop a live recording',
        description:
          'status "paused" (with pause_behavior silence or skip), "in-progress" (resume) or "stopped". A paused recording stays status in-progress with paused: true; paused audio never reaches disk. A stopped recording becomes completed once stored. 409 for a recording that is not live.',
        tags: ['Recordings'],
        security,
        params: RecordingIdParams,
        body: ControlRecordingBody,
        response: { 200: Type.Ref(RecordingSchema), ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const { status, pause_behavior } = request.body;
      const action = status === 'paused' ? { status, pauseBehavior: pause_behavior ?? 'silence' } : { status };
      return deps.viewer.view(await deps.control.control(principalOf(request).accountId, request.params.recording_id, action));
    },
  );

  app.post<{ Querystring: Static<typeof UploadQuery> }>(
    '/recordings',
    {
      bodyLimit: deps.maxUploadBytes,
      schema: {
        operationId: 'uploadRecording',
        summary: 'Upload Recording',
        description:
          'Import a finished recording: a raw WAV (16-bit PCM, mu-law or A-law) or MP3 body, or multipart/form-data with a `file` part and a `call_id` field. Responds 201 with the recording `in-progress`; it becomes `completed` once both formats are stored.',
        tags: ['Recordings'],
        security,
        querystring: UploadQuery,
        consumes: ['audio/wav', 'audio/mpeg', 'multipart/form-data'],
        response: { 201: Type.Ref(RecordingSchema), ...problemResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      const { audio, fields } = await readUploadBody(request, deps.maxUploadBytes);
      const callId = request.query.call_id ?? (fields.call_id?.trim() || undefined);
      const tags = parseTags(request.query.tags ?? fields.tags);
      const accountId = principalOf(request).accountId;
      await deps.usage.assertWithinQuota(accountId);
      const flag = (name: 'transcribe' | 'redact' | 'redact_audio') => request.query[name] ?? (fields[name] === undefined ? undefined : /^(true|1|yes|on)$/i.test(fields[name].trim()));
      const transcription = { transcribe: flag('transcribe'), redact: flag('redact'), redactAudio: flag('redact_audio') };
      const recording = await deps.recordings.createFromUpload(accountId, audio, callId, tags, Object.fromEntries(Object.entries(transcription).filter(([, v]) => v !== undefined)));
      const warning = await deps.usage.warning(accountId);
      if (warning) reply.header('telefonie-quota-warning', warning);
      return reply.code(201).header('location', `/v1/recordings/recordings/${recording.id}`).send(deps.viewer.view(recording));
    },
  );
}
