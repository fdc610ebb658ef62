import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ProblemSchema } from './common.schemas.js';
import { RecordingSchema } from './recordings.schemas.js';
import { registerProblemHandlers } from './problem.js';
import { API_PREFIX, openApiDocument, registerOpenApi } from './openapi.js';
import { recordingsRoutes, type RecordingsRouteDeps } from './recordings.routes.js';
import { mediaRoutes, type MediaRouteDeps } from './media.routes.js';
import { healthRoutes, type HealthDeps } from './health.routes.js';
import { sipTrunksRoutes } from './sip-trunks.routes.js';
import { callsRoutes } from './calls.routes.js';
import { CallSchema } from './calls.schemas.js';
import { recordingRulesRoutes } from './recording-rules.routes.js';
import { RecordingRuleSchema, RecordingSettingsSchema } from './recording-rules.schemas.js';
import type { CallRepository } from '../calls/call.repo.js';
import type { RecordingRulesService } from '../calls/recording-rules.service.js';
import type { RecordingViewer } from './recording-view.js';
import { SipTrunkSchema } from './sip-trunks.schemas.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { TrunksService } from '../trunks/trunks.service.js';

export interface ApiDeps {
  log: Logger;
  metrics: Metrics;
  /** The versioned API; absent in processes without the `api` role, which serve only health and metrics. */
  api?: { accounts: AccountsService; recordings: RecordingsRouteDeps; media: MediaRouteDeps; trunks: TrunksService; calls: CallRepository; rules: RecordingRulesService; viewer: RecordingViewer };
  health: HealthDeps;
}

/** Builds the HTTP server (not listening yet): every route registered explicitly, in one place. */
export async function buildApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's default generic type.
    loggerInstance: deps.log as unknown as FastifyBaseLogger,
    // Our onResponse hook logs what matters (failures); Fastify's two lines per request would drown it.
    logController: new LogController({ disableRequestLogging: true }),
    // Small default; the upload route raises its own limit.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  registerProblemHandlers(app);
  await registerOpenApi(app);
  app.addSchema(RecordingSchema);
  app.addSchema(ProblemSchema);
  app.addSchema(SipTrunkSchema);
  app.addSchema(CallSchema);
  app.addSchema(RecordingRuleSchema);
  app.addSchema(RecordingSettingsSchema);

  // One log line per request that went wrong, and metrics for all of them, keyed by route template.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpRequests.inc({ route, method: request.method, status: reply.statusCode });
    deps.metrics.httpDuration.observe({ route, method: request.method }, seconds);
    if (reply.statusCode >= 400) request.log.info({ method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(seconds * 1000) }, 'request');
  });

  const api = deps.api;
  if (api) {
    await app.register(async (scope) => recordingsRoutes(scope, api.recordings), { prefix: API_PREFIX });
    await app.register(async (scope) => mediaRoutes(scope, api.media), { prefix: API_PREFIX });
    await app.register(async (scope) => sipTrunksRoutes(scope, { accounts: api.accounts, trunks: api.trunks }), { prefix: API_PREFIX });
    await app.register(async (scope) => callsRoutes(scope, { accounts: api.accounts, calls: api.calls, control: api.recordings.control, viewer: api.viewer }), { prefix: API_PREFIX });
    await app.register(async (scope) => recordingRulesRoutes(scope, { accounts: api.accounts, rules: api.rules }), { prefix: API_PREFIX });
    app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => openApiDocument(app));
  }
  await app.register(async (scope) => healthRoutes(scope, deps.health));
  return app;
}
