import PgBoss from 'pg-boss';
import type { Logger } from '../logger.js';
import { ID_PREFIX, newId } from '../ids.js';
import { JOB_NAMES, JOB_POLICIES, type JobMap, type JobName } from './job-map.js';
import { PermanentJobError, type FailedJob, type JobHandler, type JobQueue, type QueueCounts, type SendOptions } from './job-queue.js';

const SCHEMA = 'pgboss';

/**
 * The queue at scale: pg-boss on the same PostgreSQL database. Queues use the
 * "stately" policy, so per singleton key at most one job is queued and one active:
 * a second send for the same work is dropped instead of running twice.
 */
export class PgBossJobQueue implements JobQueue {
  private readonly boss: PgBoss;

  constructor(
    connectionString: string,
    private readonly log: Logger,
    opts: { poolSize?: number; pollingIntervalSeconds?: number } = {},
  ) {
    this.boss = new PgBoss({
      connectionString,
      schema: SCHEMA,
      max: opts.poolSize ?? 4,
      // Failed and completed jobs stay queryable for a week: failures must be visible to operators.
      archiveCompletedAfterSeconds: 3600,
      archiveFailedAfterSeconds: 7 * 24 * 3600,
      deleteAfterDays: 7,
    });
    this.pollingIntervalSeconds = opts.pollingIntervalSeconds ?? 0.5;
    // Without a listener an 'error' event (database gone) would crash the process.
    this.boss.on('error', (err) => this.log.error({ err }, 'job queue error'));
  }

  private readonly pollingIntervalSeconds: number;

  async start(): Promise<void> {
    await this.boss.start();
    for (const name of JOB_NAMES) {
      const policy = JOB_POLICIES[name];
      const existing = await this.boss.getQueue(name);
      const options = {
        name,
        policy: 'stately' as const,
        retryLimit: policy.retryLimit,
        retryDelay: policy.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: policy.expireInSeconds,
      };
      if (!existing) {
        try {
          await this.boss.createQueue(name, options);
        } catch (err) {
          // Another process created it between our check and our create.
          if (!(await this.boss.getQueue(name))) throw err;
        }
      }
    }
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }

  async send<N extends JobName>(name: N, payload: JobMap[N], opts: SendOptions = {}): Promise<string | null> {
    // Stately queues key uniqueness on singleton_key; an unkeyed job gets its own key so jobs don't block each other.
    return this.boss.send(name, payload as object, {
      singletonKey: opts.singletonKey ?? newId(ID_PREFIX.job),
      startAfter: opts.startAfterSeconds,
    });
  }

  async work<N extends JobName>(name: N, handler: JobHandler<N>, opts: { concurrency?: number } = {}): Promise<void> {
    const workers = opts.concurrency ?? 2;
    for (let i = 0; i < workers; i++) {
      await this.boss.work<JobMap[N]>(name, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.pollingIntervalSeconds }, async ([job]) => {
        try {
          await handler(job.data, { jobId: job.id, attempt: job.retryCount + 1 });
        } catch (err) {
          if (err instanceof PermanentJobError) {
            // pg-boss retries any failure while retries remain; spend them first so this one fails for good.
            this.log.error({ job: name, jobId: job.id, err: err.message }, 'job failed permanently');
            await this.boss.getDb().executeSql(`UPDATE ${SCHEMA}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [name, job.id]);
            await this.boss.fail(name, job.id, { message: err.message, code: err.code, permanent: true });
            return;
          }
          this.log.warn({ job: name, jobId: job.id, attempt: job.retryCount + 1, err: (err as Error).message }, 'job failed');
          throw err;
        }
      });
    }
  }

  async schedule<N extends JobName>(name: N, cron: string, payload: JobMap[N]): Promise<void> {
    await this.boss.schedule(name, cron, payload as object, { tz: 'UTC' });
  }

  async counts(): Promise<QueueCounts[]> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT name, state, count(*)::int AS n FROM ${SCHEMA}.job WHERE state IN ('created', 'retry', 'active', 'failed') GROUP BY name, state`,
        [],
      );
    const byName = new Map<string, QueueCounts>();
    for (const row of rows as Array<{ name: string; state: string; n: number }>) {
      const entry = byName.get(row.name) ?? { name: row.name, queued: 0, active: 0, failed: 0 };
      if (row.state === 'active') entry.active += row.n;
      else if (row.state === 'failed') entry.failed += row.n;
      else entry.queued += row.n;
      byName.set(row.name, entry);
    }
    return [...byName.values()];
  }

  async failed(limit: number): Promise<FailedJob[]> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT id, name, data, retry_count, output, completed_on FROM ${SCHEMA}.job WHERE state = 'failed'
         UNION ALL SELECT id, name, data, retry_count, output, completed_on FROM ${SCHEMA}.archive WHERE state = 'failed'
         ORDER BY completed_on DESC NULLS LAST LIMIT $1`,
        [limit],
      );
    return (rows as Array<Record<string, any>>).map((r) => ({
      id: r.id,
      name: r.name,
      payload: r.data,
      attempts: Number(r.retry_count) + 1,
      error: r.output?.message ?? (r.output ? JSON.stringify(r.output) : null),
      failedAt: new Date(r.completed_on ?? Date.now()),
    }));
  }
}
