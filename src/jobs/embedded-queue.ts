import type { Kysely } from 'kysely';
import type { Logger } from '../logger.js';
import type { Clock } from '../clock.js';
import { ID_PREFIX, newId } from '../ids.js';
import type { Database } from '../storage/db/schema.js';
import { parseCron } from './cron.js';
import { JOB_POLICIES, type JobMap, type JobName } from './job-map.js';
import { PermanentJobError, type FailedJob, type JobHandler, type JobQueue, type QueueCounts, type SendOptions } from './job-queue.js';

interface Worker {
  handler: JobHandler<any>;
  concurrency: number;
  running: number;
}

/**
 * The default queue for embedded mode: jobs live in the `jobs` table of the same
 * SQLite file, so a crash or restart loses none. One poller claims due jobs by
 * setting a lease; a lease that runs out (the worker died) makes the job due again.
 */
export class EmbeddedJobQueue implements JobQueue {
  private readonly workers = new Map<JobName, Worker>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pollTimer?: NodeJS.Timeout;
  private stopped = true;
  private polling = false;
  private pollAgain = false;
  private lastPruneMs = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly pollIntervalMs = 250,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  async send<N extends JobName>(name: N, payload: JobMap[N], opts: SendOptions = {}): Promise<string | null> {
    const now = this.clock.now();
    const id = newId(ID_PREFIX.job, now.getTime());
    const runAt = new Date(now.getTime() + (opts.startAfterSeconds ?? 0) * 1000);
    const result = await this.db
      .insertInto('jobs')
      .values({
        id,
        name,
        payload: JSON.stringify(payload),
        state: 'queued',
        attempts: 0,
        max_attempts: JOB_POLICIES[name].retryLimit + 1,
        run_at: runAt.toISOString(),
        locked_until: null,
        singleton_key: opts.singletonKey ?? null,
        last_error: null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      // The partial unique index on singleton_key turns a duplicate send into a no-op.
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return null;
    if (!this.stopped && this.workers.has(name)) queueMicrotask(() => this.poll());
    return id;
  }

  async work<N extends JobName>(name: N, handler: JobHandler<N>, opts: { concurrency?: number } = {}): Promise<void> {
    this.workers.set(name, { handler, concurrency: opts.concurrency ?? 2, running: 0 });
  }

  async schedule<N extends JobName>(name: N, cron: string, payload: JobMap[N]): Promise<void> {
    const schedule = parseCron(cron);
    const arm = () => {
      if (this.stopped) return;
      // Timers run on the real clock: an injected test clock must not make schedules spin or jump.
      const fireAt = schedule.next(new Date());
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        // The tick in the key keeps several processes from queueing the same run twice.
        void this.send(name, payload, { singletonKey: `${name}@${fireAt.toISOString()}` }).catch((err) => this.log.error({ err, job: name }, 'scheduled send failed'));
        arm();
      }, Math.max(0, fireAt.getTime() - Date.now()));
      timer.unref();
      this.timers.add(timer);
    };
    arm();
  }

  async counts(): Promise<QueueCounts[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['name', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', ['queued', 'active', 'failed'])
      .groupBy(['name', 'state'])
      .execute();
    const byName = new Map<string, QueueCounts>();
    for (const row of rows) {
      const entry = byName.get(row.name) ?? { name: row.name, queued: 0, active: 0, failed: 0 };
      entry[row.state as 'queued' | 'active' | 'failed'] = Number(row.n);
      byName.set(row.name, entry);
    }
    return [...byName.values()];
  }

  async failed(limit: number): Promise<FailedJob[]> {
    const rows = await this.db.selectFrom('jobs').selectAll().where('state', '=', 'failed').orderBy('updated_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, name: r.name, payload: JSON.parse(r.payload), attempts: r.attempts, error: r.last_error, failedAt: new Date(r.updated_at) }));
  }

  /** Claims and starts due jobs for every registered name with free capacity. */
  private poll(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.claimAndRun()
      .catch((err) => this.log.error({ err }, 'job poll failed'))
      .finally(() => {
        this.polling = false;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
        }
      });
  }

  private async claimAndRun(): Promise<void> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    if (now.getTime() - this.lastPruneMs > 10 * 60_000) {
      // Completed jobs are kept a day for inspection, failed ones a week, then dropped.
      this.lastPruneMs = now.getTime();
      const day = 24 * 3600_000;
      await this.db
        .deleteFrom('jobs')
        .where((eb) =>
          eb.or([
            eb.and([eb('state', '=', 'completed'), eb('updated_at', '<', new Date(now.getTime() - day).toISOString())]),
            eb.and([eb('state', '=', 'failed'), eb('updated_at', '<', new Date(now.getTime() - 7 * day).toISOString())]),
          ]),
        )
        .execute();
    }
    for (const [name, worker] of this.workers) {
      const free = worker.concurrency - worker.running;
      if (free <= 0) continue;
      const leaseUntil = new Date(now.getTime() + JOB_POLICIES[name].expireInSeconds * 1000).toISOString();
      const claimed = await this.db
        .updateTable('jobs')
        .set((eb) => ({ state: 'active', locked_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: nowIso }))
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('jobs')
            .select('id')
            .where('name', '=', name)
            .where((w) => w.or([w.and([w('state', '=', 'queued'), w('run_at', '<=', nowIso)]), w.and([w('state', '=', 'active'), w('locked_until', '<', nowIso)])]))
            .orderBy('run_at')
            .limit(free),
        )
        .returningAll()
        .execute();
      for (const job of claimed) this.run(name, worker, job.id, JSON.parse(job.payload), job.attempts, job.max_attempts);
    }
  }

  private run(name: JobName, worker: Worker, jobId: string, payload: unknown, attempt: number, maxAttempts: number): void {
    worker.running++;
    const task = (async () => {
      try {
        await worker.handler(payload, { jobId, attempt });
        await this.finish(jobId, { state: 'completed', last_error: null });
      } catch (err) {
        const permanent = err instanceof PermanentJobError;
        const message = err instanceof Error ? err.message : String(err);
        if (!permanent && attempt < maxAttempts) {
          const delayMs = JOB_POLICIES[name].retryDelaySeconds * 1000 * 2 ** (attempt - 1);
          this.log.warn({ job: name, jobId, attempt, err: message }, 'job failed, will retry');
          await this.finish(jobId, { state: 'queued', last_error: message, run_at: new Date(this.clock.now().getTime() + delayMs).toISOString() });
        } else {
          this.log.error({ job: name, jobId, attempt, err: message }, 'job failed permanently');
          await this.finish(jobId, { state: 'failed', last_error: message });
        }
      } finally {
        worker.running--;
        this.poll();
      }
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async finish(jobId: string, values: { state: string; last_error: string | null; run_at?: string }): Promise<void> {
    try {
      await this.db
        .updateTable('jobs')
        .set({ ...values, locked_until: null, updated_at: this.clock.now().toISOString() })
        .where('id', '=', jobId)
        .execute();
    } catch (err) {
      // The lease will expire and the job run again; handlers are idempotent.
      this.log.error({ err, jobId }, 'could not record job outcome');
    }
  }
}
