import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { MediaUrlSigner } from '../recordings/media-url-signer.js';
import { FORMAT_CONTENT_TYPES, negotiateFormat, renderTranscript } from '../transcription/formats.js';
import type { Transcript } from '../transcription/transcript.js';
import type { TranscriptsService } from '../transcription/transcripts.service.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { RecordingIdParams } from './recordings.schemas.js';
import { TranscriptionSettingsBody, TranscriptionSettingsSchema, TranscriptQuery, TranscriptRequestBody, TranscriptSchema, type TranscriptView } from './transcription.schemas.js';

export interface TranscriptionRouteDeps {
  accounts: AccountsService;
  transcripts: TranscriptsService;
  signer: MediaUrlSigner;
}

/** The API representation of a transcript. */
export function viewTranscript(t: Transcript, signer: MediaUrlSigner): TranscriptView {
  const out: TranscriptView = {
    id: t.id,
    recording_id: t.recordingId,
    account_id: t.accountId,
    status: t.status,
    engine: t.engine,
    segments: t.segments,
    redacted: t.options.redact,
    redactions: t.redactions,
    date_created: t.dateCreated.toISOString(),
    date_updated: t.dateUpdated.toISOString(),
  };
  if (t.language) out.language = t.language;
  if (t.text !== null && t.status === 'completed') out.text = t.text;
  if (t.status === 'completed' && t.redactedMedia.wav && t.redactedMedia.mp3) {
    out.media_urls = { wav: signer.urlFor(t.recordingId, 'redacted.wav'), mp3: signer.urlFor(t.recordingId, 'redacted.mp3') };
  }
  if (t.errorCode) out.error_code = t.errorCode;
  if (t.errorMessage) out.error_message = t.errorMessage;
  return out;
}

/** `/recordings/{id}/transcription` (read in JSON, text, WebVTT or SRT; request; delete) and `/transcription-settings`. */
export async function transcriptionRoutes(app: FastifyInstance, deps: TranscriptionRouteDeps): Promise<void> {
  requireApiKey(app, deps.accounts);
  const security = [{ ApiKeyAuth: [] }];
  const text = { schema: { type: 'string' } };

  app.get<{ Params: Static<typeof RecordingIdParams>; Querystring: Static<typeof TranscriptQuery> }>(
    '/recordings/:recording_id/transcription',
    {
      schema: {
        operationId: 'getTranscription',
        summary: 'Get a recording\'s transcript',
        description:
          'The transcript: status, engine, language, text and time-ordered segments of both channels with speaker labels and word timings (seconds). `?format=txt|vtt|srt` or `Accept: text/plain | text/vtt | application/x-subrip` give plain text, WebVTT or SubRip.',
        tags: ['Transcription'],
        security,
        params: RecordingIdParams,
        querystring: TranscriptQuery,
        response: {
          200: {
            description: 'The transcript',
            content: { 'application/json': { schema: Type.Ref(TranscriptSchema) }, 'text/plain': text, 'text/vtt': text, 'application/x-subrip': text },
          },
          ...problemResponses(401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const transcript = await deps.transcripts.get(principalOf(request).accountId, request.params.recording_id);
      const format = negotiateFormat(request.query.format, request.headers.accept);
      if (format === 'json') return reply.type('application/json').send(viewTranscript(transcript, deps.signer));
      if (transcript.status !== 'completed') {
        return reply.code(409).type('application/problem+json').send({
          type: 'https://telefonie.dev/problems/transcript_not_ready', title: 'Conflict', status: 409, code: 'transcript_not_ready',
          detail: `the transcript is ${transcript.status}; ${format} is available once it is completed`, instance: request.url.split('?')[0],
        });
      }
      return reply.type(FORMAT_CONTENT_TYPES[format]).header('content-disposition', `inline; filename="${transcript.recordingId}.${format}"`).send(renderTranscript(transcript, format));
    },
  );

  app.post<{ Params: Static<typeof RecordingIdParams>; Body: Static<typeof TranscriptRequestBody> | undefined }>(
    '/recordings/:recording_id/transcription',
    {
      schema: {
        operationId: 'requestTranscription',
        summary: 'Transcribe a recording',
        description:
          'Queues a transcription of a completed recording (202). A transcript already queued or in progress is returned as it is; a finished one is replaced. The body is optional. 409 `recording_not_completed` while the recording is still being made.',
        tags: ['Transcription'],
        security,
        params: RecordingIdParams,
        body: TranscriptRequestBody,
        response: { 202: Type.Ref(TranscriptSchema), ...problemResponses(400, 401, 404, 409) },
      },
      // The body is optional: no body means the account's settings.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const b = request.body ?? {};
      const transcript = await deps.transcripts.request(principalOf(request).accountId, request.params.recording_id, { redact: b.redact, redactAudio: b.redact_audio, language: b.language });
      return reply.code(202).header('location', `/v1/recordings/recordings/${transcript.recordingId}/transcription`).send(viewTranscript(transcript, deps.signer));
    },
  );

  app.delete<{ Params: Static<typeof RecordingIdParams> }>(
    '/recordings/:recording_id/transcription',
    {
      schema: {
        operationId: 'deleteTranscription',
        summary: 'Delete a recording\'s transcript',
        description: 'Removes the transcript (and its redacted audio, unless that replaced the original); the recording stays.',
        tags: ['Transcription'],
        security,
        params: RecordingIdParams,
        response: { 204: { description: 'Transcript deleted', type: 'null' }, ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await deps.transcripts.delete(principalOf(request).accountId, request.params.recording_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/transcription-settings',
    {
      schema: {
        operationId: 'getTranscriptionSettings',
        summary: 'Account redaction settings',
        description: 'Whether transcripts of this account are redacted (and redacted audio made) unless a request says otherwise. Defaults: REDACTION_DEFAULT, REDACTION_AUDIO_DEFAULT.',
        tags: ['Transcription'],
        security,
        response: { 200: Type.Ref(TranscriptionSettingsSchema), ...problemResponses(401) },
      },
    },
    async (request) => {
      const s = await deps.transcripts.getSettings(principalOf(request).accountId);
      return { redact: s.redact, redact_audio: s.redactAudio };
    },
  );

  app.put<{ Body: Static<typeof TranscriptionSettingsBody> }>(
    '/transcription-settings',
    {
      schema: {
        operationId: 'putTranscriptionSettings',
        summary: 'Set account redaction settings',
        description: 'Fields left out go back to the server default.',
        tags: ['Transcription'],
        security,
        body: TranscriptionSettingsBody,
        response: { 200: Type.Ref(TranscriptionSettingsSchema), ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const b = request.body;
      const s = await deps.transcripts.putSettings(principalOf(request).accountId, { redact: b.redact ?? null, redactAudio: b.redact_audio ?? null });
      return { redact: s.redact, redact_audio: s.redactAudio };
    },
  );
}
