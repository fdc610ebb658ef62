import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountsService, Principal } from '../accounts/accounts.service.js';
import { sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated caller; only valid inside routes registered behind `requireApiKey`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing requireApiKey');
  return request.principal;
}

/** Adds an X-API-Key check to every route of this plugin scope: 401 when missing or wrong. */
export function requireApiKey(app: FastifyInstance, accounts: AccountsService): void {
  app.decorateRequest('principal', null);
  const check = (request: FastifyRequest, reply: FastifyReply, principal: Principal | null): boolean => {
    if (principal) request.principal = principal;
    else sendProblem(reply, 401, 'api_key_invalid', 'the API key is not valid');
    return principal !== null;
  };
  // Callback-style: a key seen in the last few seconds (nearly every request) is checked
  // without a promise; only a lookup in the database waits.
  app.addHook('onRequest', (request, reply, done) => {
    const presented = request.headers['x-api-key'];
    const key = Array.isArray(presented) ? presented[0] : presented;
    // A hook that answers does not call done: Fastify stops at the reply.
    if (!key) return void sendProblem(reply, 401, 'api_key_missing', 'send your API key in the X-API-Key header');
    const cached = accounts.cachedPrincipal(key);
    if (cached !== undefined) return void (check(request, reply, cached) && done());
    accounts.authenticate(key).then(
      (principal) => check(request, reply, principal) && done(),
      (err: Error) => done(err),
    );
  });
}
