import { Type, type Static } from '@sinclair/typebox';
import { REDACTION_TYPES, TRANSCRIPT_STATUSES } from '../transcription/transcript.js';
import { TRANSCRIPT_FORMATS } from '../transcription/formats.js';
import { StringEnum } from './common.schemas.js';

const WordSchema = Type.Object({
  word: Type.String(),
  start: Type.Number({ description: 'Seconds from the start of the recording' }),
  end: Type.Number({ description: 'Seconds' }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
});

const SegmentSchema = Type.Object({
  channel: Type.Integer({ description: 'Channel of the recording (1-based)' }),
  speaker: Type.String({ description: 'The party on that channel, from channel_map (else "Speaker N")' }),
  start: Type.Number({ description: 'Seconds from the start of the recording' }),
  end: Type.Number({ description: 'Seconds' }),
  text: Type.String(),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  words: Type.Array(WordSchema),
});

const RedactionSchema = Type.Object({
  type: StringEnum(REDACTION_TYPES),
  channel: Type.Integer(),
  segment: Type.Integer({ description: 'Index into segments' }),
  text_start: Type.Integer({ description: 'Character offset of the [REDACTED:type] marker in text' }),
  text_end: Type.Integer({ description: 'Character offset just past the marker' }),
  start: Type.Number({ description: 'Audio span the redacted words covered, seconds' }),
  end: Type.Number(),
});

/** A recording's transcript. */
export const TranscriptSchema = Type.Object(
  {
    id: Type.String(),
    recording_id: Type.String(),
    account_id: Type.String(),
    status: StringEnum(TRANSCRIPT_STATUSES),
    engine: Type.String({ description: 'sphinx (offline PocketSphinx), openai (an OpenAI-compatible server) or none' }),
    language: Type.Optional(Type.String()),
    text: Type.Optional(Type.String({ description: 'The conversation, one segment per line (completed only)' })),
    segments: Type.Array(SegmentSchema, { description: 'Both channels merged, in time order' }),
    redacted: Type.Boolean({ description: 'Sensitive data was looked for and replaced by [REDACTED:type]' }),
    redactions: Type.Array(RedactionSchema),
    media_urls: Type.Optional(
      Type.Object({ wav: Type.String(), mp3: Type.String() }, { description: 'Signed URLs of the redacted audio (redact_audio only)' }),
    ),
    error_code: Type.Optional(Type.String({ description: 'failed only: engine_unavailable, engine_failed, engine_timeout, engine_rejected, audio_unreadable, transcription_failed' })),
    error_message: Type.Optional(Type.String()),
    date_created: Type.String({ format: 'date-time' }),
    date_updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'Transcript' },
);
export type TranscriptView = Static<typeof TranscriptSchema>;

export const TranscriptQuery = Type.Object({
  format: Type.Optional(StringEnum(TRANSCRIPT_FORMATS, { description: 'json (default), txt, vtt or srt; the Accept header works too' })),
});

export const TranscriptRequestBody = Type.Object(
  {
    redact: Type.Optional(Type.Boolean({ description: 'Redact card numbers, security codes, SSNs, emails and phone numbers; default: the account setting' })),
    redact_audio: Type.Optional(Type.Boolean({ description: 'Also make a copy of the audio with the redacted spans silenced (implies redact)' })),
    language: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$', description: 'Language hint, e.g. en' })),
  },
  { additionalProperties: false },
);

export const TranscriptionSettingsSchema = Type.Object(
  {
    redact: Type.Boolean({ description: 'Redact every transcript of the account unless a request says otherwise' }),
    redact_audio: Type.Boolean({ description: 'Also make redacted audio (implies redact)' }),
  },
  { $id: 'TranscriptionSettings' },
);

export const TranscriptionSettingsBody = Type.Object({ redact: Type.Optional(Type.Boolean()), redact_audio: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
