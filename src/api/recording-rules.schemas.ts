import { Type, type Static } from '@sinclair/typebox';
import { IntegerEnum, StringEnum } from './common.schemas.js';

const Pattern = Type.String({ minLength: 1, maxLength: 256, description: 'Glob: * matches any run, ? one character; case-insensitive' });

const RuleMatchSchema = Type.Object(
  {
    direction: Type.Optional(StringEnum(['inbound', 'outbound'] as const)),
    from: Type.Optional(Pattern),
    to: Type.Optional(Pattern),
    ingest: Type.Optional(StringEnum(['siprec', 'stream'] as const)),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Pattern, { description: 'Call metadata / stream custom parameters: key → pattern' })),
  },
  { additionalProperties: false },
);

const RuleActionSchema = Type.Object(
  {
    record: Type.Boolean(),
    channels: Type.Optional(IntegerEnum([1, 2] as const)),
    track: Type.Optional(StringEnum(['inbound', 'outbound', 'both'] as const)),
    transcribe: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A recording rule as the API shows it. */
export const RecordingRuleSchema = Type.Object(
  {
    id: Type.String(),
    account_id: Type.String(),
    name: Type.String(),
    priority: Type.Integer({ description: 'Lower runs first; the first matching rule decides' }),
    enabled: Type.Boolean(),
    match: RuleMatchSchema,
    action: RuleActionSchema,
    date_created: Type.String({ format: 'date-time' }),
    date_updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'RecordingRule' },
);
export type RecordingRuleView = Static<typeof RecordingRuleSchema>;

export const CreateRuleBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    enabled: Type.Optional(Type.Boolean()),
    match: RuleMatchSchema,
    action: RuleActionSchema,
  },
  { additionalProperties: false },
);

export const UpdateRuleBody = Type.Partial(CreateRuleBody, { additionalProperties: false });

export const RuleIdParams = Type.Object({ rule_id: Type.String({ maxLength: 64 }) });

/** The account's recording default. */
export const RecordingSettingsSchema = Type.Object(
  {
    default: StringEnum(['record', 'none'] as const, { description: 'What happens to a call no rule matches: record it, or record nothing (media is dropped)' }),
    channels: IntegerEnum([1, 2] as const),
    transcribe: Type.Boolean(),
  },
  { $id: 'RecordingSettings', additionalProperties: false },
);
