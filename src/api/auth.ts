import type { FastifyInstance, FastifyRequest } from 'fastify';
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
  app.addHook('onRequest', async (request, reply) => {
    const presented = request.headers['x-api-key'];
    const key = Array.isArray(presented) ? presented[0] : presented;
    if (!key) return sendProblem(reply, 401, 'api_key_missing', 'send your API key in the X-API-Key header');
    const principal = await accounts.authenticate(key);
    if (!principal) return sendProblem(reply, 401, 'api_key_invalid', 'the API key is not valid');
    request.principal = principal;
  });
}
