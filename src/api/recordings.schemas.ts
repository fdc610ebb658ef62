import { Type, type Static } from '@sinclair/typebox';
import { RECORDING_STATUSES } from '../recordings/recording.js';
import { IntegerEnum, StringEnum } from './common.schemas.js';

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
      Type.Object({ wav: Type.String(), mp3: Type.String() }, { description: 'Signed, expiring URLs per format; present once completed' }),
    ),
    sample_rate: Type.Optional(Type.Integer({ description: 'Sample rate in Hz' })),
    paused: Type.Optional(Type.Boolean({ description: 'Live recordings: true while paused (status stays in-progress)' })),
    date_created: Type.String({ format: 'date-time', description: 'When the recording was created' }),
    date_updated: Type.String({ format: 'date-time', description: 'When the recording last changed' }),
    error_code: Type.Optional(Type.String({ description: 'Why the recording failed (status failed only)' })),
    error_message: Type.Optional(Type.String()),
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
});
