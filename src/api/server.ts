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
import { retentionRoutes, type RetentionRouteDeps } from './retention.routes.js';
import { auditApiRequests, auditRoutes } from './audit.routes.js';
import type { AuditLog } from '../compliance/audit/audit-log.js';
import type { AuditRepository } from '../compliance/audit/audit.repo.js';
import { LegalHoldSchema, RetentionPolicySchema } from './retention.schemas.js';
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
import { webhooksRoutes } from './webhooks.routes.js';
import { exportDownloadRoutes, exportsRoutes, type ExportDownloadRouteDeps, type ExportRouteDeps } from './exports.routes.js';
import { WebhookDeliverySchema, WebhookSchema } from './webhooks.schemas.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import { streamTokensRoutes, type StreamTokenRouteDeps } from './stream-tokens.routes.js';
import { StreamTokenSchema } from './stream-tokens.schemas.js';
import { streamsRoutes, type StreamRouteDeps } from '../ingest/ws/streams.routes.js';
import { encryptionKeyRoutes } from './encryption-key.routes.js';
import { EncryptionKeySchema } from './encryption-key.schemas.js';
import type { CustomerKeysService } from '../compliance/encryption/customer-keys.service.js';
import { transcriptionRoutes, type TranscriptionRouteDeps } from './transcription.routes.js';
import { TranscriptSchema, TranscriptionSettingsSchema } from './transcription.schemas.js';

export interface ApiDeps {
  log: Logger;
  metrics: Metrics;
  /** The versioned API; absent in processes without the `api` role, which serve only health and metrics. */
  api?: { accounts: AccountsService; recordings: RecordingsRouteDeps; media: MediaRouteDeps; trunks: TrunksService; calls: CallRepository; rules: RecordingRulesService; viewer: RecordingViewer; webhooks: WebhooksService ; retention: RetentionRouteDeps ; audit: { log: AuditLog; repo: AuditRepository }; encryptionKeys?: CustomerKeysService; transcription?: Omit<TranscriptionRouteDeps, 'accounts'>; exports?: { routes: Omit<ExportRouteDeps, 'accounts'>; download: ExportDownloadRouteDeps } };
  health: HealthDeps;
  /** Minting stream tokens (`POST /stream-tokens`), in processes with the `api` role. */
  streamTokens?: Omit<StreamTokenRouteDeps, 'accounts'>;
  /** WebSocket media streams (`GET /streams`), in processes with the `ingest` role (with or without `api`). */
  streams?: StreamRouteDeps;
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
  app.addSchema(RetentionPolicySchema);
  app.addSchema(LegalHoldSchema);
  app.addSchema(StreamTokenSchema);
  app.addSchema(CallSchema);
  app.addSchema(RecordingRuleSchema);
  app.addSchema(RecordingSettingsSchema);
  app.addSchema(WebhookSchema);
  app.addSchema(WebhookDeliverySchema);
  app.addSchema(EncryptionKeySchema);
  app.addSchema(TranscriptSchema);
  app.addSchema(TranscriptionSettingsSchema);

  // One log line per request that went wrong, and metrics for all of them, keyed by route template.
  // Callback-style: an async hook costs every request a promise.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpRequests.inc({ route, method: request.method, status: reply.statusCode });
    deps.metrics.httpDuration.observe({ route, method: request.method }, seconds);
    if (reply.statusCode >= 400) request.log.info({ method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    done();
  });

  const api = deps.api;
  if (api) {
    auditApiRequests(app, api.audit.log);
    await app.register(async (scope) => auditRoutes(scope, { accounts: api.accounts, repo: api.audit.repo, audit: api.audit.log }), { prefix: API_PREFIX });
    await app.register(async (scope) => recordingsRoutes(scope, api.recordings), { prefix: API_PREFIX });
    const transcription = api.transcription;
    if (transcription) await app.register(async (scope) => transcriptionRoutes(scope, { accounts: api.accounts, ...transcription }), { prefix: API_PREFIX });
    await app.register(async (scope) => mediaRoutes(scope, api.media), { prefix: API_PREFIX });
    await app.register(async (scope) => sipTrunksRoutes(scope, { accounts: api.accounts, trunks: api.trunks }), { prefix: API_PREFIX });
    await app.register(async (scope) => retentionRoutes(scope, api.retention), { prefix: API_PREFIX });
    const streamTokens = deps.streamTokens;
    if (streamTokens) await app.register(async (scope) => streamTokensRoutes(scope, { accounts: api.accounts, ...streamTokens }), { prefix: API_PREFIX });
    await app.register(async (scope) => callsRoutes(scope, { accounts: api.accounts, calls: api.calls, control: api.recordings.control, viewer: api.viewer }), { prefix: API_PREFIX });
    await app.register(async (scope) => recordingRulesRoutes(scope, { accounts: api.accounts, rules: api.rules }), { prefix: API_PREFIX });
    await app.register(async (scope) => webhooksRoutes(scope, { accounts: api.accounts, webhooks: api.webhooks }), { prefix: API_PREFIX });
    const exportDeps = api.exports;
    if (exportDeps) {
      await app.register(async (scope) => exportsRoutes(scope, { accounts: api.accounts, ...exportDeps.routes }), { prefix: API_PREFIX });
      // The signed download needs no API key: its own scope, without the key check.
      await app.register(async (scope) => exportDownloadRoutes(scope, exportDeps.download), { prefix: API_PREFIX });
    }
    const encryptionKeys = api.encryptionKeys;
    if (encryptionKeys) await app.register(async (scope) => encryptionKeyRoutes(scope, { accounts: api.accounts, keys: encryptionKeys }), { prefix: API_PREFIX });
    app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => openApiDocument(app));
  }
  const streams = deps.streams;
  if (streams) await app.register(async (scope) => streamsRoutes(scope, streams), { prefix: API_PREFIX });
  await app.register(async (scope) => healthRoutes(scope, deps.health));
  return app;
}
