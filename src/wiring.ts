import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { systemClock, type Clock } from './clock.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './observability/metrics.js';
import { openDatabase, type DatabaseHandle } from './storage/db/database.js';
import { assertSchemaCurrent, migrateToLatest } from './storage/db/migrator.js';
import { KyselyRecordingRepository } from './storage/db/recordings.repo.js';
import { KyselyAccountRepository } from './storage/db/accounts.repo.js';
import { KyselyTrunkRepository } from './storage/db/trunks.repo.js';
import { KyselyCallRepository } from './storage/db/calls.repo.js';
import { openBlobStore } from './storage/blob/open-blob-store.js';
import type { BlobStore } from './storage/blob/blob-store.js';
import { MeteredBlobStore } from './storage/blob/metered-blob-store.js';
import { MediaStores } from './storage/blob/media-stores.js';
import { EncryptionService } from './compliance/encryption/encryption.service.js';
import { CustomerKeysService } from './compliance/encryption/customer-keys.service.js';
import { KeyRing } from './compliance/encryption/key-ring.js';
import { KyselyCustomerKeyRepository, KyselyEnvelopeRepository } from './storage/db/envelopes.repo.js';
import type { JobQueue } from './jobs/job-queue.js';
import { EmbeddedJobQueue } from './jobs/embedded-queue.js';
import { PgBossJobQueue } from './jobs/pg-boss-queue.js';
import { registerJobHandlers, scheduleJobs } from './jobs/register-handlers.js';
import { AccountsService } from './accounts/accounts.service.js';
import { RecordingsService } from './recordings/recordings.service.js';
import { RenditionsService } from './recordings/renditions.service.js';
import { MediaUrlSigner } from './recordings/media-url-signer.js';
import { Pricing } from './recordings/pricing.js';
import { UsageService } from './compliance/usage.service.js';
import { KyselyUsageRepository } from './storage/db/usage.repo.js';
import { KyselyRetentionRepository } from './storage/db/retention.repo.js';
import { RetentionPoliciesService } from './compliance/retention-policies.service.js';
import { LegalHoldsService } from './compliance/legal-holds.service.js';
import { RetentionSweeper } from './compliance/retention-sweep.service.js';
import { withinQuota } from './compliance/quota-policy.js';
import { KyselyAuditRepository } from './storage/db/audit.repo.js';
import { openAuditDatabase, type AuditDatabase } from './storage/db/audit-database.js';
import { AuditWriterThread } from './storage/db/audit-writer-thread.js';
import { AuditLog, inlineAppender } from './compliance/audit/audit-log.js';
import type { AuditRepository } from './compliance/audit/audit.repo.js';
import type { RecordingRepository } from './recordings/recording.repo.js';
import { TrunksService } from './trunks/trunks.service.js';
import { nonceSecretFrom, TrunkGate } from './ingest/siprec/trunk-gate.js';
import { CallsService } from './calls/calls.service.js';
import { FlushScheduler } from './recorder/flush-scheduler.js';
import { LiveRecordingsService } from './recorder/live-recordings.service.js';
import { LiveCallsService } from './calls/live-calls.service.js';
import { RecordingRulesService } from './calls/recording-rules.service.js';
import { KyselyRecordingRuleRepository } from './storage/db/recording-rules.repo.js';
import { LocalControlBus, type ControlBus } from './calls/control-bus.js';
import { PgControlBus } from './storage/db/pg-control-bus.js';
import { PgListener } from './storage/db/pg-listener.js';
import { keepRecordingCacheCoherent } from './storage/db/recording-cache-feed.js';
import { CachedRecordingReader, RecordingCache } from './recordings/recording-cache.js';
import { RecordingControlService } from './calls/recording-control.service.js';
import { resolveMediaUrlSecret } from './media-url-secret.js';
import { buildApiServer } from './api/server.js';
import { RecordingViewer } from './api/recording-view.js';
import { startIngest, type IngestRole } from './ingest/ingest-role.js';
import { KyselyWebhookRepository } from './storage/db/webhooks.repo.js';
import { WebhooksService } from './webhooks/webhooks.service.js';
import { WebhookPublisher } from './webhooks/webhook-publisher.js';
import { WebhookDeliverer } from './webhooks/delivery.js';
import { postWebhook } from './webhooks/webhook-http.js';
import { withFreshMediaUrls } from './webhooks/webhook-payload.js';
import { StreamIngest } from './ingest/ws/stream-ingest.js';
import { StreamTokens } from './ingest/ws/stream-token.js';
import { IntegrityVerifier } from './compliance/integrity/integrity-verifier.js';
import { KyselyIntegrityRepository } from './storage/db/integrity.repo.js';
import { ExportsService } from './compliance/export/exports.service.js';
import { ExportBuilder } from './compliance/export/export-builder.js';
import { ExportUrlSigner } from './compliance/export/export-url-signer.js';
import { KyselyExportRepository } from './storage/db/exports.repo.js';
import type { TranscriptReader } from './compliance/export/transcript-reader.js';
import { viewTranscript } from './api/transcription.routes.js';
import { renderTranscript } from './transcription/formats.js';
import { DomainError } from './errors.js';
import { TranscriptsService } from './transcription/transcripts.service.js';
import { KyselyTranscriptRepository } from './storage/db/transcripts.repo.js';
import { createEngine } from './transcription/engines.js';

export interface WiringOptions {
  clock?: Clock;
  log?: Logger;
  /** Apply pending migrations at boot; default: yes on SQLite (zero set-up), no on PostgreSQL (run `telefonie migrate`). */
  migrate?: boolean;
}

/** Everything one process runs, built from the configuration. */
export interface AppContext {
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  database: DatabaseHandle;
  blobs: BlobStore;
  /** Standard and archive media tiers. */
  stores: MediaStores;
  jobs: JobQueue;
  repo: RecordingRepository;
  accounts: AccountsService;
  recordings: RecordingsService;
  renditions: RenditionsService;
  transcripts: TranscriptsService;
  trunks: TrunksService;
  /** Admission of SIPREC INVITEs (the ingest role uses it). */
  trunkGate: TrunkGate;
  calls: CallsService;
  liveRecordings: LiveRecordingsService;
  liveCalls: LiveCallsService;
  rules: RecordingRulesService;
  control: RecordingControlService;
  bus: ControlBus;
  webhooks: WebhooksService;
  audit: AuditLog;
  auditRepo: AuditRepository;
  /** The audit trail's tables: the main database on PostgreSQL, a file of their own beside a SQLite one. */
  auditDatabase: AuditDatabase;
  usage: UsageService;
  sweeper: RetentionSweeper;
  retentionPolicies: RetentionPoliciesService;
  legalHolds: LegalHoldsService;
  /** Re-reads stored media against the recorded SHA-256 (`telefonie verify`, the integrity.verify job). */
  integrity: IntegrityVerifier;
  /** Export bundles: requests and progress (`/exports`). */
  exports: ExportsService;
  /** Builds export bundles (the export.build job). */
  exportBuilder: ExportBuilder;
  /** Encryption at rest, when ENCRYPTION_MASTER_KEYS is set (rotation, key release, stored-bytes checks). */
  encryption?: EncryptionService;
  /** Accounts' own public keys (`/encryption-key`). */
  customerKeys: CustomerKeysService;
  /** Publishes recording events as webhook deliveries (the RecordingEventSink the services use). */
  events: WebhookPublisher;
  webhookDeliverer: WebhookDeliverer;
  signer: MediaUrlSigner;
  /** mediaUrlSecret as resolved (configured or generated). */
  secret: string;
  /** HTTP server: the API in `api` processes, health and metrics in all. */
  api?: FastifyInstance;
  ingest?: IngestRole;
  /** WebSocket media streams, in processes with the `ingest` role (served on the HTTP server). */
  streams?: StreamIngest;
  /** Starts the configured roles (listening sockets, job workers). */
  start(): Promise<void>;
  /** Graceful stop: no new work, in-flight requests, calls and jobs finish, then connections close. */
  stop(): Promise<void>;
}

async function openMigratedDatabase(config: Config, log: Logger, migrate: boolean | undefined): Promise<DatabaseHandle> {
  const database = openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onPoolError: (err) => log.warn({ err: err.message }, 'database connection lost'),
    backgroundCheckpoints: { onError: (message) => log.warn({ err: message }, 'background WAL checkpoint failed') },
  });
  try {
    if (migrate ?? database.dialect === 'sqlite') await migrateToLatest(database.db);
    else await assertSchemaCurrent(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** Composition root: config → adapters → services → roles. No framework, just arguments. */
export async function createApp(config: Config, opts: WiringOptions = {}): Promise<AppContext> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.logLevel, { roles: config.roles.join(',') });
  const metrics = new Metrics();
  const secret = resolveMediaUrlSecret(config);
  const database = await openMigratedDatabase(config, log, opts.migrate);

  // Encryption at rest wraps both tiers (outermost, so /metrics counts the bytes actually stored).
  const customerKeyRepo = new KyselyCustomerKeyRepository(database.db);
  const encryption = config.encryption
    ? new EncryptionService({ ring: new KeyRing(config.encryption.masterKeys, config.encryption.activeKeyId), envelopes: new KyselyEnvelopeRepository(database.db), customerKeys: customerKeyRepo, log, clock })
    : undefined;
  const customerKeys = new CustomerKeysService({ repo: customerKeyRepo, clock, enabled: Boolean(encryption) });
  const standardStore = new MeteredBlobStore(openBlobStore(config.storageUrl), metrics);
  const archiveStore = new MeteredBlobStore(openBlobStore(config.archiveStorageUrl, { readOnlyFiles: true }), metrics);
  const blobs: BlobStore = encryption ? encryption.wrap('standard', standardStore) : standardStore;
  const stores = new MediaStores(blobs, encryption ? encryption.wrap('archive', archiveStore) : archiveStore);
  const jobs: JobQueue = database.dialect === 'postgres' ? new PgBossJobQueue(config.databaseUrl, log) : new EmbeddedJobQueue(database.db, clock, log);
  const repo = new KyselyRecordingRepository(database);
  const pgListener = database.pool ? new PgListener(config.databaseUrl, log) : undefined;
  const recordingCache = new RecordingCache(config.recordingCacheSize, database.changedElsewhere);
  const recordingReader = new CachedRecordingReader(recordingCache, repo);
  const accounts = new AccountsService(new KyselyAccountRepository(database.db), clock, config.apiKeyCacheSeconds);
  const signer = new MediaUrlSigner(secret, config.mediaUrlPreviousSecrets, config.mediaUrlTtl, config.publicUrl, clock);
  const pricing = new Pricing(config.pricePerMinute, config.priceCurrency);
  const viewer = new RecordingViewer(signer, pricing, config.mediaDefaultFormat);
  // Webhooks: services publish recording events into the publisher; the deliverer runs the attempts (jobs).
  const webhookRepo = new KyselyWebhookRepository(database.db);
  const events = new WebhookPublisher({ repo: webhookRepo, jobs, clock, log, viewRecording: (r) => viewer.view(r) });
  const webhooks = new WebhooksService(webhookRepo, clock, (accountId) => events.invalidate(accountId));
  const webhookDeliverer = new WebhookDeliverer({
    repo: webhookRepo,
    jobs,
    clock,
    log,
    post: postWebhook,
    retryBaseSeconds: config.webhookRetryBaseSeconds,
    refreshPayload: (payload) => withFreshMediaUrls(payload, (id, format) => signer.urlFor(id, format)),
  });
  // Transcription hooks into recording events: the sink handed to the services that complete
  // and delete recordings queues a transcript when a completed recording asked for one, then
  // passes every event on to the webhook publisher unchanged.
  const transcripts = new TranscriptsService({
    repo: new KyselyTranscriptRepository(database.db), recordings: repo, stores, jobs, events, engine: createEngine(config.transcription), clock, log,
    redactDefault: config.transcription.redactDefault, redactAudioDefault: config.transcription.redactAudioDefault, redactedAudio: config.transcription.redactedAudio, language: config.transcription.language,
  });
  const recordingEvents = transcripts.eventSink(events);
  const recordings = new RecordingsService({ repo, reader: recordingReader, blobs, stores, jobs, events: recordingEvents, clock, log });
  const renditions = new RenditionsService({ repo, blobs, events: recordingEvents, clock, log, sealing: encryption });
  const trunkRepo = new KyselyTrunkRepository(database.db);
  const trunkGate = new TrunkGate(trunkRepo, config.sipRealm, nonceSecretFrom(secret));
  // A trunk changed through this process's API applies to its next INVITE at once.
  const trunks = new TrunksService(trunkRepo, clock, () => trunkGate.invalidate());
  const calls = new CallsService(new KyselyCallRepository(database.db), clock);
  const flushScheduler = new FlushScheduler(500, { logger: log });
  const liveRecordings = new LiveRecordingsService({ repo, blobs, jobs, events, clock, log, metrics, recordings, scheduler: flushScheduler, spoolDir: config.spoolDir });
  const callRepo = new KyselyCallRepository(database.db);
  const rules = new RecordingRulesService(new KyselyRecordingRuleRepository(database.db, config.recordingChannels), clock);
  const usage = new UsageService(new KyselyUsageRepository(database.db), pricing, config.quotaWarningPercent);
  const liveCalls = new LiveCallsService({ calls, policy: withinQuota(rules, usage, log), liveRecordings, log });
  const retentionRepo = new KyselyRetentionRepository(database.db);
  const retentionPolicies = new RetentionPoliciesService(retentionRepo, clock);
  const legalHolds = new LegalHoldsService(retentionRepo, clock);
  const auditDatabase = openAuditDatabase(database, config.databaseUrl);
  const auditRepo = new KyselyAuditRepository(auditDatabase.handle.db, auditDatabase.handle.sqliteTransaction);
  // Appends run on a thread of their own wherever another connection can reach the audit tables.
  // The thread takes batches of up to 2,000 (one commit each: ~15% less CPU an event than 500
  // in bench:api). Appending on the event loop instead (SQLite :memory:) costs ~25 µs an
  // event: a batch of 500 would hold every request for ~12 ms, 64 for ~1.6 ms.
  const inline = inlineAppender(auditRepo);
  const auditWriter = auditDatabase.url ? new AuditWriterThread(auditDatabase.url, inline, log) : undefined;
  const audit = new AuditLog(auditWriter ?? inline, log, 100, auditWriter ? 2000 : 64);
  const sweeper = new RetentionSweeper({
    retention: retentionRepo, repo, recordings, stores, events: recordingEvents, clock, log, batchSize: config.retentionBatchSize,
    onAction: async (action, r) => audit.record({ accountId: r.accountId, actor: 'system', action: `retention.${action.action}`, resourceType: 'recordings', resourceId: r.id, ip: null, details: { policy_id: action.policyId } }),
  });
  const bus: ControlBus = database.pool ? new PgControlBus(pgListener!, database.pool, log) : new LocalControlBus();
  const control = new RecordingControlService({ bus, calls: callRepo, repo, liveCalls, liveRecordings, usage });
  const streamTokens = new StreamTokens(secret, config.mediaUrlPreviousSecrets);
  const integrity = new IntegrityVerifier({
    repo: new KyselyIntegrityRepository(database.db), findRecording: (id) => repo.findByIdUnscoped(id), stores, events, clock, log,
    verifyStored: encryption ? (storageClass, key) => encryption.verifyStored(storageClass, key) : undefined,
    onFileChecked: (result) => metrics.integrityChecks.inc({ result }),
    onNewFailure: (r, status, detail) => audit.record({ accountId: r.accountId, actor: 'system', action: `integrity.${status}`, resourceType: 'recordings', resourceId: r.id, ip: null, details: { detail } }),
  });
  const exportRepo = new KyselyExportRepository(database.db);
  const exportSigner = new ExportUrlSigner(secret, config.mediaUrlPreviousSecrets, config.mediaUrlTtl, config.publicUrl, clock);
  const exportsService = new ExportsService({ repo: exportRepo, jobs, stores, clock });
  // Bundles carry each recording's completed transcript as the API shows it (JSON) and as plain text.
  const exportTranscripts: TranscriptReader = {
    filesFor: async (r) => {
      const t = await transcripts.get(r.accountId, r.id).catch((err) => {
        if (err instanceof DomainError && err.kind === 'not_found') return null;
        throw err;
      });
      if (!t || t.status !== 'completed') return [];
      const { media_urls: _expiring, ...json } = viewTranscript(t, signer);
      return [
        { name: 'transcript.json', content: Buffer.from(JSON.stringify(json, null, 2) + '\n') },
        { name: 'transcript.txt', content: Buffer.from(renderTranscript(t, 'txt')) },
      ];
    },
  };
  const exportBuilder = new ExportBuilder({ repo: exportRepo, stores, viewRecording: (r) => viewer.view(r), sealedMedia: encryption?.sealedMedia, transcripts: exportTranscripts, clock, log });

  let shuttingDown = false;
  const ctx: AppContext = {
    config, log, clock, metrics, database, blobs, stores, jobs, repo, accounts, recordings, renditions, transcripts, trunks, trunkGate, calls, liveRecordings, liveCalls, rules, control, bus, signer, secret, webhooks, events, webhookDeliverer, usage, sweeper, retentionPolicies, legalHolds, audit, auditRepo, auditDatabase, encryption, customerKeys, integrity, exports: exportsService, exportBuilder,
    async start() {
      auditWriter?.start();
      await jobs.start();
      if (config.roles.includes('worker')) {
        await registerJobHandlers(ctx);
        await scheduleJobs(jobs, config);
      }
      if (config.roles.includes('ingest')) ctx.ingest = await startIngest(ctx);
      if (config.roles.includes('ingest')) {
        ctx.streams = new StreamIngest({ liveCalls, log, reorderMs: config.streamReorderMs, idleTimeoutMs: config.rtpTimeoutSeconds * 1000 });
        ctx.streams.start();
      }
      // Only the API reads through the recording cache; a process serving it keeps the cache coherent.
      if (config.roles.includes('api') && config.recordingCacheSize > 0) await keepRecordingCacheCoherent(recordingCache, database, pgListener, log);
      // Every process listens on PORT: the API when it has the api role, health and /metrics always.
      ctx.api = await buildApiServer({
        log,
        metrics,
        api: config.roles.includes('api')
          ? {
              accounts,
              trunks,
              calls: callRepo,
              rules,
              viewer,
              webhooks,
              recordings: { accounts, recordings, control, viewer, usage, maxUploadBytes: config.maxUploadBytes },
              retention: { accounts, policies: retentionPolicies, sweeper, holds: legalHolds, usage },
              audit: { log: audit, repo: auditRepo },
              encryptionKeys: customerKeys,
              transcription: { transcripts, signer },
              exports: {
                routes: { exports: exportsService, signer: exportSigner },
                download: {
                  signer: exportSigner, repo: exportRepo, stores, redirect: config.mediaDelivery === 'redirect', presignTtlSeconds: 60,
                  onDownload: (e, bytes, ip, range, delivery) =>
                    audit.record({ accountId: e.accountId, actor: 'signed-url', action: 'export.download', resourceType: 'exports', resourceId: e.id, ip, details: { bytes, delivery, ...(range ? { range } : {}) } }),
                },
              },
              media: {
                onDownload: (r, format, bytes, ip, range, delivery) =>
                  audit.record({ accountId: r.accountId, actor: 'signed-url', action: 'media.download', resourceType: 'recordings', resourceId: r.id, ip, details: { format, bytes, delivery, ...(range ? { range } : {}) } }),
                signer, recordings: recordingReader, stores, redirect: config.mediaDelivery === 'redirect', presignTtlSeconds: 60, sealedMedia: encryption?.sealedMedia,
                redactedMedia: (id, format) => transcripts.redactedMedia(id, format) },
            }
          : undefined,
        streamTokens: config.roles.includes('api') ? { tokens: streamTokens, streamBaseUrl: config.streamPublicUrl } : undefined,
        streams: ctx.streams ? { ingest: ctx.streams, accounts, tokens: streamTokens } : undefined,
        health: {
          pingDatabase: async () => {
            await sql`select 1`.execute(database.db);
          },
          metrics,
          sampleGauges: async () => {
            for (const c of await jobs.counts()) {
              for (const state of ['queued', 'active', 'failed'] as const) metrics.jobQueueDepth.set({ job: c.name, state }, c[state]);
            }
            if (database.pool) {
              metrics.dbPool.set({ state: 'total' }, database.pool.totalCount);
              metrics.dbPool.set({ state: 'idle' }, database.pool.idleCount);
              metrics.dbPool.set({ state: 'waiting' }, database.pool.waitingCount);
            }
            const failures = await integrity.failureCounts();
            for (const status of ['corrupt', 'missing'] as const) metrics.integrityFailures.set({ status }, failures[status]);
          },
          isShuttingDown: () => shuttingDown,
        },
      });
      await ctx.api.listen({ port: config.port, host: config.host });
      log.info({ roles: config.roles, database: database.dialect, storage: blobs.description, sip: ctx.ingest?.sipPorts }, 'telefonie started');
    },
    async stop() {
      shuttingDown = true;
      if (ctx.api) {
        // In-flight requests get 10 s; a keep-alive connection that turns idle after close
        // began would otherwise hold the server open for its whole keep-alive timeout.
        const force = setTimeout(() => ctx.api?.server.closeAllConnections(), 10_000);
        await ctx.api.close();
        clearTimeout(force);
      }
      // Closing the HTTP server ends the media streams; this waits for any still being stored.
      await ctx.streams?.stop();
      // Live calls end and are stored before the queue and database go away.
      await ctx.ingest?.stop();
      await liveCalls.endAll('shutdown');
      await bus.close();
      await pgListener?.close();
      await flushScheduler.stop();
      await jobs.stop();
      // Last: jobs (retention sweeps, integrity checks) audit what they did until they stop.
      await audit.close();
      await auditDatabase.close();
      await database.close();
    },
  };
  return ctx;
}
