import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { AccountsService } from '../../accounts/accounts.service.js';
import { sendProblem } from '../../api/problem.js';
import type { StreamIngest, StreamSocketEvents } from './stream-ingest.js';
import type { StreamTokens } from './stream-token.js';

export interface StreamRouteDeps {
  ingest: StreamIngest;
  accounts: AccountsService;
  tokens: StreamTokens;
}

/** Messages over this size close the connection (1009) inside `ws`; smaller oversized frames are ignored by the session. */
const HARD_MAX_PAYLOAD = 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    streamAccountId?: string;
  }
}

/**
 * `GET /streams` (under /v1/recordings), WebSocket only. The caller authenticates during
 * the HTTP upgrade, with `X-API-Key` or a stream token in `?token=`; a bad credential
 * gets a 401 problem response and the connection is never upgraded. Every accepted
 * connection is one call (see StreamIngest).
 */
export async function streamsRoutes(app: FastifyInstance, deps: StreamRouteDeps): Promise<void> {
  await app.register(websocket, {
    // Text frames are JSON parsed (or scanned as bytes) by the session; ws's UTF-8 check would be a second pass.
    options: { maxPayload: HARD_MAX_PAYLOAD, perMessageDeflate: false, skipUTF8Validation: true },
    // Sessions end (and store their recordings) before the server stops listening.
    preClose: async () => {
      await deps.ingest.stop();
    },
    errorHandler: (error, socket, request) => {
      request.log.warn({ err: error.message }, 'media stream socket error');
      socket.terminate();
    },
  });

  app.route({
    method: 'GET',
    url: '/streams',
    schema: { hide: true },
    onRequest: async (request, reply) => {
      const accountId = await authenticate(request, deps);
      if (typeof accountId !== 'string') return sendProblem(reply, 401, accountId.code, accountId.detail);
      request.streamAccountId = accountId;
    },
    handler: async (_request, reply) =>
      sendProblem(reply.header('upgrade', 'websocket'), 426, 'websocket_required', 'connect with a WebSocket client (Upgrade: websocket) to stream media'),
    wsHandler: (socket, request) => {
      const query = new URL(request.url, 'http://localhost').searchParams;
      deps.ingest.accept(socket as unknown as StreamSocketEvents, request.streamAccountId!, query);
    },
  });
}

/** The account of an X-API-Key header or a `token` query parameter, or why there is none. */
async function authenticate(request: FastifyRequest, deps: StreamRouteDeps): Promise<string | { code: string; detail: string }> {
  const header = request.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key) {
    const principal = await deps.accounts.authenticate(key);
    return principal ? principal.accountId : { code: 'api_key_invalid', detail: 'the API key is not valid' };
  }
  const token = new URL(request.url, 'http://localhost').searchParams.get('token');
  if (token) {
    const granted = deps.tokens.verify(token);
    return granted ? granted.accountId : { code: 'stream_token_invalid', detail: 'the stream token is invalid or expired; mint a new one with POST /v1/recordings/stream-tokens' };
  }
  return { code: 'api_key_missing', detail: 'send your API key in the X-API-Key header, or a stream token as ?token=' };
}
