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
import type { JobQueue } from './jobs/job-queue.js';
import { EmbeddedJobQueue } from './jobs/embedded-queue.js';
import { PgBossJobQueue } from './jobs/pg-boss-queue.js';
import { registerJobHandlers, scheduleJobs } from './jobs/register-handlers.js';
import { AccountsService } from './accounts/accounts.service.js';
import { RecordingsService } from './recordings/recordings.service.js';
import { RenditionsService } from './recordings/renditions.service.js';
import { MediaUrlSigner } from './recordings/media-url-signer.js';
import { Pricing } from './recordings/pricing.js';
import { noEvents } from './recordings/recording-events.js';
import type { RecordingRepository } from './recordings/recording.repo.js';
import { TrunksService } from './trunks/trunks.service.js';
import { CallsService } from './calls/calls.service.js';
import { FlushScheduler } from './recorder/flush-scheduler.js';
import { LiveRecordingsService } from './recorder/live-recordings.service.js';
import { LiveCallsService } from './calls/live-calls.service.js';
import { RecordingRulesService } from './calls/recording-rules.service.js';
import { KyselyRecordingRuleRepository } from './storage/db/recording-rules.repo.js';
import { LocalControlBus, type ControlBus } from './calls/control-bus.js';
import { PgControlBus } from './storage/db/pg-control-bus.js';
import { RecordingControlService } from './calls/recording-control.service.js';
import { resolveMediaUrlSecret } from './media-url-secret.js';
import { buildApiServer } from './api/server.js';
import { RecordingViewer } from './api/recording-view.js';
import { startIngest, type IngestRole } from './ingest/ingest-role.js';

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
  jobs: JobQueue;
  repo: RecordingRepository;
  accounts: AccountsService;
  recordings: RecordingsService;
  renditions: RenditionsService;
  trunks: TrunksService;
  calls: CallsService;
  liveRecordings: LiveRecordingsService;
  liveCalls: LiveCallsService;
  rules: RecordingRulesService;
  control: RecordingControlService;
  bus: ControlBus;
  signer: MediaUrlSigner;
  /** mediaUrlSecret as resolved (configured or generated). */
  secret: string;
  /** HTTP server: the API in `api` processes, health and metrics in all. */
  api?: FastifyInstance;
  ingest?: IngestRole;
  /** Starts the configured roles (listening sockets, job workers). */
  start(): Promise<void>;
  /** Graceful stop: no new work, in-flight requests, calls and jobs finish, then connections close. */
  stop(): Promise<void>;
}

async function openMigratedDatabase(config: Config, log: Logger, migrate: boolean | undefined): Promise<DatabaseHandle> {
  const database = openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onPoolError: (err) => log.warn({ err: err.message }, 'database connection lost'),
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

  const blobs = new MeteredBlobStore(openBlobStore(config.storageUrl), metrics);
  const jobs: JobQueue = database.dialect === 'postgres' ? new PgBossJobQueue(config.databaseUrl, log) : new EmbeddedJobQueue(database.db, clock, log);
  const repo = new KyselyRecordingRepository(database);
  const accounts = new AccountsService(new KyselyAccountRepository(database.db), clock, config.apiKeyCacheSeconds);
  const events = noEvents;
  const recordings = new RecordingsService({ repo, blobs, jobs, events, clock, log });
  const renditions = new RenditionsService({ repo, blobs, events, clock, log });
  const trunks = new TrunksService(new KyselyTrunkRepository(database.db), clock);
  const calls = new CallsService(new KyselyCallRepository(database.db), clock);
  const flushScheduler = new FlushScheduler(500, { logger: log });
  const liveRecordings = new LiveRecordingsService({ repo, blobs, jobs, events, clock, log, metrics, recordings, scheduler: flushScheduler, spoolDir: config.spoolDir });
  const callRepo = new KyselyCallRepository(database.db);
  const rules = new RecordingRulesService(new KyselyRecordingRuleRepository(database.db, config.recordingChannels), clock);
  const liveCalls = new LiveCallsService({ calls, policy: rules, liveRecordings, log });
  const bus: ControlBus = database.pool ? new PgControlBus(config.databaseUrl, database.pool, log) : new LocalControlBus();
  const control = new RecordingControlService({ bus, calls: callRepo, repo, liveCalls, liveRecordings });
  const signer = new MediaUrlSigner(secret, config.mediaUrlPreviousSecrets, config.mediaUrlTtl, config.publicUrl, clock);
  const viewer = new RecordingViewer(signer, new Pricing(config.pricePerMinute, config.priceCurrency), config.mediaDefaultFormat);

  let shuttingDown = false;
  const ctx: AppContext = {
    config, log, clock, metrics, database, blobs, jobs, repo, accounts, recordings, renditions, trunks, calls, liveRecordings, liveCalls, rules, control, bus, signer, secret,
    async start() {
      await jobs.start();
      if (config.roles.includes('worker')) {
        await registerJobHandlers(ctx);
        await scheduleJobs(jobs);
      }
      if (config.roles.includes('ingest')) ctx.ingest = await startIngest(ctx);
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
              recordings: { accounts, recordings, control, viewer, maxUploadBytes: config.maxUploadBytes },
              media: { signer, repo, blobs, redirect: config.mediaDelivery === 'redirect', presignTtlSeconds: 60 },
            }
          : undefined,
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
          },
          isShuttingDown: () => shuttingDown,
        },
      });
      await ctx.api.listen({ port: config.port, host: config.host });
      log.info({ roles: config.roles, database: database.dialect, storage: blobs.description, sip: ctx.ingest?.sipPorts }, 'telefonie started');
    },
    async stop() {
      shuttingDown = true;
      await ctx.api?.close();
      // Live calls end and are stored before the queue and database go away.
      await ctx.ingest?.stop();
      await liveCalls.endAll('shutdown');
      await bus.close();
      await flushScheduler.stop();
      await jobs.stop();
      await database.close();
    },
  };
  return ctx;
}
