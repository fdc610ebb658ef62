import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import { STREAM_TOKEN_DEFAULT_TTL_SECONDS, type StreamTokens } from '../ingest/ws/stream-token.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { CreateStreamTokenBody, StreamTokenSchema, type CreateStreamTokenBodyT, type StreamTokenView } from './stream-tokens.schemas.js';

export interface StreamTokenRouteDeps {
  accounts: AccountsService;
  tokens: StreamTokens;
  /** Base of the WebSocket URL handed out (ws:// or wss://, no trailing slash). */
  streamBaseUrl: string;
}

/** `/stream-tokens`: short-lived credentials for WebSocket media streams from platforms that cannot send headers. */
export async function streamTokensRoutes(app: FastifyInstance, deps: StreamTokenRouteDeps): Promise<void> {
  requireApiKey(app, deps.accounts);
  app.post<{ Body: CreateStreamTokenBodyT | undefined }>(
    '/stream-tokens',
    {
      schema: {
        operationId: 'createStreamToken',
        summary: 'Mint a media stream token',
        description:
          'A token that authenticates one or more WebSocket media streams (`GET /v1/recordings/streams?token=...`) for this account until it expires. ' +
          'It is stateless (HMAC-signed account id and expiry): it can be used any number of times until then, and revoking the API key does not revoke it. The body is optional.',
        tags: ['Streams'],
        security: [{ ApiKeyAuth: [] }],
        body: CreateStreamTokenBody,
        response: { 201: Type.Ref(StreamTokenSchema), ...problemResponses(400, 401) },
      },
      // The body is optional: no body means the default lifetime.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const ttl = request.body?.ttl ?? STREAM_TOKEN_DEFAULT_TTL_SECONDS;
      const { token, expiresAt } = deps.tokens.mint(principalOf(request).accountId, ttl);
      const view: StreamTokenView = { token, expires_at: expiresAt.toISOString(), url: `${deps.streamBaseUrl}/v1/recordings/streams?token=${encodeURIComponent(token)}` };
      return reply.code(201).send(view);
    },
  );
}
