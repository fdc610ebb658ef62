import { Type, type Static } from '@sinclair/typebox';
import { INTEGRITY_STATUSES, RECORDING_STATUSES } from '../recordings/recording.js';
import { IntegerEnum, StringEnum } from './common.schemas.js';

/** How one format of a recording is encrypted with the account's public key. */
const SealedMediaSchema = Type.Object({
  algorithm: Type.String({ description: 'AES-256-GCM-chunked: chunk_size plaintext bytes per chunk, each followed by its 16-byte GCM tag' }),
  chunk_size: Type.Integer({ description: 'Plaintext bytes per chunk' }),
  nonce_prefix: Type.String({ description: 'base64 of 8 bytes; chunk i nonce = nonce_prefix || i (4 bytes, big-endian)' }),
  wrapped_key: Type.String({ description: 'base64 of the AES-256 data key wrapped with key_wrap under the account public key' }),
  key_wrap: Type.String({ description: 'RSA-OAEP-SHA256 (SHA-256 for OAEP and MGF1)' }),
  key_fingerprint: Type.String({ description: 'SHA-256 of the public key (DER SubjectPublicKeyInfo), hex' }),
});

/** The Recording resource: the seed contract's fields plus ours (all optional extras). */
export const RecordingSchema = Type.Object(
  {
    id: Type.String({ description: 'Unique identifier for the recording' }),
    call_id: Type.String({ description: 'ID of the call this recording belongs to' }),
    account_id: Type.String({ description: 'Account that owns the recording' }),
    status: StringEnum(RECORDING_STATUSES, { description: 'Recording status' }),
    duration: Type.Integer({ description: 'Duration of the recording in seconds (rounded)' }),
    channels: IntegerEnum([1, 2] as const, { description: 'Number of audio channels (1=mono, 2=dual/stereo)' }),
    source: Type.String({ description: 'Recording trigger source: upload, automatic or on-demand' }),
    price: Type.String({ description: 'Cost of storing the recording (PRICE_PER_MINUTE x minutes started)' }),
    price_unit: Type.String({ description: 'Currency (ISO 4217)' }),
    media_url: Type.Optional(Type.String({ description: 'Signed, expiring URL of the default format; present once completed' })),
    media_urls: Type.Optional(
      Type.Object(
        {
          wav: Type.String(),
          mp3: Type.String(),
          wav_redacted: Type.Optional(Type.String({ description: 'The audio with redacted spans silenced (transcript redaction with redact_audio)' })),
          mp3_redacted: Type.Optional(Type.String()),
        },
        { description: 'Signed, expiring URLs per format; present once completed' },
      ),
    ),
    sample_rate: Type.Optional(Type.Integer({ description: 'Sample rate in Hz' })),
    paused: Type.Optional(Type.Boolean({ description: 'Live recordings: true while paused (status stays in-progress)' })),
    legal_hold: Type.Boolean({ description: 'Under a legal hold: cannot be deleted by the API or by retention' }),
    storage_class: StringEnum(['standard', 'archive'] as const, { description: 'Which storage tier holds the media' }),
    tags: Type.Optional(Type.Array(Type.String())),
    date_media_deleted: Type.Optional(Type.String({ format: 'date-time', description: 'When retention removed the media (metadata kept)' })),
    integrity: Type.Optional(
      Type.Object(
        {
          status: StringEnum(INTEGRITY_STATUSES, { description: 'ok: every stored file matches the SHA-256 recorded when it was written; corrupt: one differs (or fails to decrypt); missing: one is gone' }),
          checked_at: Type.String({ format: 'date-time' }),
          detail: Type.Optional(Type.String({ description: 'Which files failed and how' })),
        },
        { description: 'The last integrity check of the stored media (telefonie verify, or the scheduled check); absent until checked' },
      ),
    ),
    date_created: Type.String({ format: 'date-time', description: 'When the recording was created' }),
    date_updated: Type.String({ format: 'date-time', description: 'When the recording last changed' }),
    error_code: Type.Optional(Type.String({ description: 'Why the recording failed (status failed only)' })),
    error_message: Type.Optional(Type.String()),
    transcription_status: Type.Optional(StringEnum(['queued', 'in-progress', 'completed', 'failed'] as const, { description: 'Status of its transcript; absent without one' })),
    transcription_url: Type.Optional(Type.String({ description: 'Where its transcript is (GET, POST to request one, DELETE)' })),
    snippet: Type.Optional(Type.String({ description: 'List with q only: the transcript around the matched words, matches in <mark>' })),
    channel_map: Type.Optional(
      Type.Array(
        Type.Object({
          channel: Type.Integer(),
          participant: Type.Object({ aor: Type.Optional(Type.String()), name: Type.Optional(Type.String()), role: Type.Optional(Type.String()) }),
        }),
        { description: 'Which party is on which channel' },
      ),
    ),
    dtmf_events: Type.Optional(
      Type.Array(
        Type.Object({
          digit: Type.String(),
          channel: Type.Integer(),
          start: Type.Number({ description: 'Seconds from the start of the recording' }),
          duration: Type.Number({ description: 'Seconds' }),
        }),
        { description: 'DTMF digits (RFC 4733 telephone-events) heard during a live recording' },
      ),
    ),
    encryption_details: Type.Optional(
      Type.Object(
        { wav: Type.Optional(SealedMediaSchema), mp3: Type.Optional(SealedMediaSchema) },
        { description: "Per format: how the media is encrypted with the account's own key (downloads are then this ciphertext; see the README, \"Encryption at rest\")" },
      ),
    ),
  },
  { $id: 'Recording' },
);
export type RecordingView = Static<typeof RecordingSchema>;

export const RecordingIdParams = Type.Object({ recording_id: Type.String({ description: 'Unique identifier for the recording', maxLength: 64 }) });

export const ListRecordingsQuery = Type.Object({
  call_id: Type.Optional(Type.String({ description: 'Filter recordings by call ID', maxLength: 256 })),
  status: Type.Optional(StringEnum(RECORDING_STATUSES, { description: 'Filter by recording status' })),
  source: Type.Optional(Type.String({ description: 'Filter by source (upload, automatic, on-demand)', maxLength: 32 })),
  date_created_after: Type.Optional(Type.String({ format: 'date-time', description: 'Only recordings created at or after this time' })),
  date_created_before: Type.Optional(Type.String({ format: 'date-time', description: 'Only recordings created before this time' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Words the transcript must contain (all of them; full-text search); results carry a `snippet`' })),
  integrity: Type.Optional(
    StringEnum(['ok', 'corrupt', 'missing', 'failed', 'unchecked'] as const, { description: 'By last integrity check: ok, corrupt, missing, failed (corrupt or missing) or unchecked' }),
  ),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Page number (1-based)' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Results per page' })),
});
export type ListRecordingsQueryT = Static<typeof ListRecordingsQuery>;

export const RecordingListSchema = Type.Object({
  recordings: Type.Array(Type.Ref(RecordingSchema)),
  total: Type.Integer({ description: 'Number of recordings matching the filters, across all pages' }),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const UploadQuery = Type.Object({
  call_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Call this recording belongs to (generated when absent)' })),
  tags: Type.Optional(Type.String({ maxLength: 1000, description: 'Comma-separated tags (retention policies can match on them)' })),
  transcribe: Type.Optional(Type.Boolean({ description: 'Transcribe once completed (also a multipart field)' })),
  redact: Type.Optional(Type.Boolean({ description: 'Redact the transcript (card numbers, security codes, SSNs, emails, phone numbers); default: the account setting' })),
  redact_audio: Type.Optional(Type.Boolean({ description: 'Also make a copy of the audio with the redacted spans silenced (implies redact)' })),
});
