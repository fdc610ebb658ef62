import { Type, type Static } from '@sinclair/typebox';
import { IntegerEnum, StringEnum } from './common.schemas.js';

const Days = Type.Union([Type.Integer({ minimum: 0, maximum: 36500 }), Type.Null()]);

const PolicyMatchSchema = Type.Object(
  {
    source: Type.Optional(StringEnum(['upload', 'automatic', 'on-demand'] as const)),
    channels: Type.Optional(IntegerEnum([1, 2] as const)),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20, description: 'All of these tags must be on the recording' })),
    rule_id: Type.Optional(Type.String({ maxLength: 64, description: 'The recording rule that started the recording' })),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), { description: 'Call metadata key → pattern' })),
  },
  { additionalProperties: false },
);

/** A retention policy as the API shows it. */
export const RetentionPolicySchema = Type.Object(
  {
    id: Type.String(),
    account_id: Type.String(),
    name: Type.String(),
    priority: Type.Integer(),
    is_default: Type.Boolean({ description: 'Governs recordings no other policy matches' }),
    match: PolicyMatchSchema,
    archive_after_days: Type.Union([Type.Integer(), Type.Null()]),
    delete_media_after_days: Type.Union([Type.Integer(), Type.Null()]),
    delete_after_days: Type.Union([Type.Integer(), Type.Null()]),
    date_created: Type.String({ format: 'date-time' }),
    date_updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'RetentionPolicy' },
);
export type RetentionPolicyView = Static<typeof RetentionPolicySchema>;

export const CreatePolicyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    is_default: Type.Optional(Type.Boolean()),
    match: Type.Optional(PolicyMatchSchema),
    archive_after_days: Type.Optional(Days),
    delete_media_after_days: Type.Optional(Days),
    delete_after_days: Type.Optional(Days),
  },
  { additionalProperties: false },
);
export const UpdatePolicyBody = Type.Omit(CreatePolicyBody, ['is_default'], { additionalProperties: false });
export const PolicyIdParams = Type.Object({ policy_id: Type.String({ maxLength: 64 }) });

/** A legal hold as the API shows it. */
export const LegalHoldSchema = Type.Object(
  {
    id: Type.String(),
    account_id: Type.String(),
    reason: Type.String(),
    status: StringEnum(['active', 'released'] as const),
    recording_count: Type.Integer({ description: 'Recordings the hold covers' }),
    recording_ids: Type.Optional(Type.Array(Type.String())),
    call_id: Type.Optional(Type.String()),
    date_created_after: Type.Optional(Type.String({ format: 'date-time' })),
    date_created_before: Type.Optional(Type.String({ format: 'date-time' })),
    date_created: Type.String({ format: 'date-time' }),
    date_released: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { $id: 'LegalHold' },
);
export type LegalHoldView = Static<typeof LegalHoldSchema>;

export const CreateHoldBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    recording_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 10_000 })),
    call_id: Type.Optional(Type.String({ maxLength: 256 })),
    date_created_after: Type.Optional(Type.String({ format: 'date-time' })),
    date_created_before: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export const HoldIdParams = Type.Object({ hold_id: Type.String({ maxLength: 64 }) });

export const UsageQuery = Type.Object({
  start: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 30 days ago' })),
  end: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
});
