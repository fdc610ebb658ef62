import { Type, type Static } from '@sinclair/typebox';
import { IntegerEnum, StringEnum } from './common.schemas.js';

/** A live or ended call whose media reached the service. */
export const CallSchema = Type.Object(
  {
    call_id: Type.String({ description: 'The call id recordings carry as call_id' }),
    account_id: Type.String(),
    status: StringEnum(['in-progress', 'completed'] as const),
    ingest: StringEnum(['siprec', 'stream'] as const, { description: 'How the media arrives' }),
    from: Type.Optional(Type.String()),
    to: Type.Optional(Type.String()),
    direction: Type.Optional(Type.String()),
    date_started: Type.String({ format: 'date-time' }),
    date_ended: Type.Optional(Type.String({ format: 'date-time' })),
    duration: Type.Optional(Type.Integer({ description: 'Seconds, once ended' })),
    channel_map: Type.Optional(Type.Array(Type.Object({ channel: Type.Integer(), participant: Type.Object({ aor: Type.Optional(Type.String()), name: Type.Optional(Type.String()), role: Type.Optional(Type.String()) }) }))),
    custom_parameters: Type.Optional(Type.Record(Type.String(), Type.String())),
    recordings_url: Type.String({ description: 'Where to list this call\'s recordings' }),
  },
  { $id: 'Call' },
);
export type CallView = Static<typeof CallSchema>;

export const CallIdParams = Type.Object({ call_id: Type.String({ minLength: 1, maxLength: 256 }) });

export const ListCallsQuery = Type.Object({
  status: Type.Optional(StringEnum(['in-progress', 'completed'] as const)),
  ingest: Type.Optional(StringEnum(['siprec', 'stream'] as const)),
  date_started_after: Type.Optional(Type.String({ format: 'date-time' })),
  date_started_before: Type.Optional(Type.String({ format: 'date-time' })),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const StartRecordingBody = Type.Object(
  {
    channels: Type.Optional(IntegerEnum([1, 2] as const, { default: 2, description: '2 = each party on its own channel, 1 = mono' })),
    track: Type.Optional(StringEnum(['inbound', 'outbound', 'both'] as const, { default: 'both', description: 'inbound = channel 1 (caller), outbound = channel 2' })),
    max_duration: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, description: 'Stop after this many seconds' })),
    transcribe: Type.Optional(Type.Boolean()),
    status_callback: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'Webhook URL for this recording\'s events' })),
  },
  { additionalProperties: false },
);

export const ControlRecordingBody = Type.Object(
  {
    status: StringEnum(['paused', 'in-progress', 'stopped'] as const, { description: 'paused, in-progress (resume) or stopped' }),
    pause_behavior: Type.Optional(StringEnum(['silence', 'skip'] as const, { default: 'silence', description: 'silence keeps the paused span as silence; skip cuts it out' })),
  },
  { additionalProperties: false },
);
