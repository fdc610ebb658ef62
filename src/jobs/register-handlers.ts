import type { AppContext } from '../wiring.js';
import { transcodeJob } from './handlers/transcode.job.js';
import { mediaDeleteJob } from './handlers/media-delete.job.js';
import { sweepStuckJob } from './handlers/sweep-stuck.job.js';
import type { JobHandler, JobQueue } from './job-queue.js';
import { JOB_SCHEDULES, type JobName } from './job-map.js';

/** Subscribes this worker process to every job, counting outcomes for /metrics. */
export async function registerJobHandlers(ctx: AppContext): Promise<void> {
  const counted = <N extends JobName>(name: N, handler: JobHandler<N>): JobHandler<N> => async (payload, jobCtx) => {
    try {
      await handler(payload, jobCtx);
      ctx.metrics.jobsFinished.inc({ job: name, outcome: 'completed' });
    } catch (err) {
      ctx.metrics.jobsFinished.inc({ job: name, outcome: 'failed' });
      throw err;
    }
  };
  await ctx.jobs.work('recording.transcode', counted('recording.transcode', transcodeJob({ renditions: ctx.renditions, recordings: ctx.recordings, repo: ctx.repo })), { concurrency: 2 });
  await ctx.jobs.work('media.delete', counted('media.delete', mediaDeleteJob(ctx.blobs)), { concurrency: 2 });
  await ctx.jobs.work('recording.sweep-stuck', counted('recording.sweep-stuck', sweepStuckJob(ctx)), { concurrency: 1 });
}

/** Registers the recurring jobs; every worker may call this, the queue runs each tick once. */
export async function scheduleJobs(jobs: JobQueue): Promise<void> {
  for (const { name, cron } of JOB_SCHEDULES) await jobs.schedule(name, cron, {} as never);
}
