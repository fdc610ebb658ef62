import { Type, type Static } from '@sinclair/typebox';
import { REQUEST_URI_USER_PATTERN } from '../trunks/trunk.js';

const Digest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 8, maxLength: 128, description: 'Write-only' }) },
  { additionalProperties: false },
);

/** A SIP trunk as the API shows it; the digest password is never returned. */
export const SipTrunkSchema = Type.Object(
  {
    id: Type.String(),
    account_id: Type.String(),
    name: Type.String(),
    request_uri_user: Type.String({ description: 'User part of the Request-URI the SIPREC client calls (sip:USER@recorder)' }),
    allowed_sources: Type.Array(Type.String(), { description: 'Addresses and CIDR ranges allowed to send INVITEs' }),
    digest_username: Type.Optional(Type.String({ description: 'Present when SIP digest authentication is required' })),
    date_created: Type.String({ format: 'date-time' }),
    date_updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'SipTrunk' },
);
export type SipTrunkView = Static<typeof SipTrunkSchema>;

export const CreateSipTrunkBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    request_uri_user: Type.String({ pattern: REQUEST_URI_USER_PATTERN }),
    allowed_sources: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 100 }),
    digest: Type.Optional(Digest),
  },
  { additionalProperties: false },
);

export const UpdateSipTrunkBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    request_uri_user: Type.Optional(Type.String({ pattern: REQUEST_URI_USER_PATTERN })),
    allowed_sources: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 100 })),
    digest: Type.Optional(Type.Union([Digest, Type.Null()])),
  },
  { additionalProperties: false },
);

export const SipTrunkIdParams = Type.Object({ trunk_id: Type.String({ maxLength: 64 }) });
