import { Type, type Static } from '@sinclair/typebox';
import { STREAM_TOKEN_DEFAULT_TTL_SECONDS, STREAM_TOKEN_MAX_TTL_SECONDS } from '../ingest/ws/stream-token.js';

export const CreateStreamTokenBody = Type.Object(
  {
    ttl: Type.Optional(
      Type.Integer({ minimum: 1, maximum: STREAM_TOKEN_MAX_TTL_SECONDS, default: STREAM_TOKEN_DEFAULT_TTL_SECONDS, description: `Seconds the token stays valid (default ${STREAM_TOKEN_DEFAULT_TTL_SECONDS}, at most ${STREAM_TOKEN_MAX_TTL_SECONDS})` }),
    ),
  },
  { additionalProperties: false },
);
export type CreateStreamTokenBodyT = Static<typeof CreateStreamTokenBody>;

/** A minted stream token. */
export const StreamTokenSchema = Type.Object(
  {
    token: Type.String({ description: 'Pass as the `token` query parameter of the WebSocket URL' }),
    expires_at: Type.String({ format: 'date-time', description: 'The token is refused from this moment on' }),
    url: Type.String({ description: 'WebSocket URL of the media stream endpoint with the token, ready to use' }),
  },
  { $id: 'StreamToken' },
);
export type StreamTokenView = Static<typeof StreamTokenSchema>;
