import type { JobMap, JobName } from './job-map.js';

export interface SendOptions {
  /** At most one queued-or-active job per key: a second send with the same key is a no-op. */
  singletonKey?: string;
  /** Delay before the job may run, in seconds. */
  startAfterSeconds?: number;
}

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
}

export type JobHandler<N extends JobName> = (payload: JobMap[N], ctx: JobContext) => Promise<void>;

/** A failure that retrying cannot fix (corrupt input); the job fails at once. */
export class PermanentJobError extends Error {
  constructor(
    message: string,
    /** Stable code shown to API clients when the failure ends a recording. */
    readonly code = 'job_failed',
  ) {
    super(message);
  }
}

/** A job that exhausted its retries, for operators. */
export interface FailedJob {
  id: string;
  name: string;
  payload: unknown;
  attempts: number;
  error: string | null;
  failedAt: Date;
}

export interface QueueCounts {
  name: string;
  queued: number;
  active: number;
  failed: number;
}

/** The job queue port: embedded (SQLite table) or pg-boss on PostgreSQL. */
export interface JobQueue {
  start(): Promise<void>;
  /** Stops taking new jobs and waits for running handlers to finish. */
  stop(): Promise<void>;
  /** Queues a job; resolves to its id, or null when a singleton with that key is already pending. */
  send<N extends JobName>(name: N, payload: JobMap[N], opts?: SendOptions): Promise<string | null>;
  /** Runs `handler` for jobs of this name in this process. */
  work<N extends JobName>(name: N, handler: JobHandler<N>, opts?: { concurrency?: number }): Promise<void>;
  /** Sends `name` on a cron schedule (5-field, UTC); every process may call this, only one job runs per tick. */
  schedule<N extends JobName>(name: N, cron: string, payload: JobMap[N]): Promise<void>;
  counts(): Promise<QueueCounts[]>;
  failed(limit: number): Promise<FailedJob[]>;
}
