import type { AppContext } from '../wiring.js';
import { transcodeJob } from './handlers/transcode.job.js';
import { transcribeJob } from './handlers/transcribe.job.js';
import { mediaDeleteJob } from './handlers/media-delete.job.js';
import { sweepStuckJob } from './handlers/sweep-stuck.job.js';
import { webhookDeliverJob } from './handlers/webhook-deliver.job.js';
import { webhookSweepJob } from './handlers/webhook-sweep.job.js';
import type { JobHandler, JobQueue } from './job-queue.js';
import { JOB_SCHEDULES, type JobName } from './job-map.js';
import type { Config } from '../config.js';
import { retentionSweepJob } from './handlers/retention-sweep.job.js';
import { integrityVerifyJob } from './handlers/integrity-verify.job.js';
import { exportBuildJob } from './handlers/export-build.job.js';

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
  // One decoder process per channel: one job at a time keeps a 2-channel call on two cores.
  await ctx.jobs.work('transcription.run', counted('transcription.run', transcribeJob(ctx.transcripts)), { concurrency: 1 });
  await ctx.jobs.work('media.delete', counted('media.delete', mediaDeleteJob(ctx.stores)), { concurrency: 2 });
  await ctx.jobs.work('retention.sweep', counted('retention.sweep', retentionSweepJob(ctx.sweeper)), { concurrency: 1 });
  await ctx.jobs.work('recording.sweep-stuck', counted('recording.sweep-stuck', sweepStuckJob(ctx)), { concurrency: 1 });
  // Attempts wait on the network (up to 10 s each), not the CPU.
  await ctx.jobs.work('webhook.deliver', counted('webhook.deliver', webhookDeliverJob(ctx.webhookDeliverer)), { concurrency: 4 });
  await ctx.jobs.work('webhook.sweep', counted('webhook.sweep', webhookSweepJob(ctx.webhookDeliverer)), { concurrency: 1 });
  await ctx.jobs.work('integrity.verify', counted('integrity.verify', integrityVerifyJob(ctx.integrity, ctx.config.integritySampleSize)), { concurrency: 1 });
  await ctx.jobs.work('export.build', counted('export.build', exportBuildJob(ctx.exportBuilder)), { concurrency: 1 });
}

/** Registers the recurring jobs; every worker may call this, the queue runs each tick once. */
export async function scheduleJobs(jobs: JobQueue, config: Pick<Config, 'retentionSweepCron' | 'integrityVerifyCron' | 'integritySampleSize'>): Promise<void> {
  for (const { name, cron } of JOB_SCHEDULES) await jobs.schedule(name, cron, {} as never);
  await jobs.schedule('retention.sweep', config.retentionSweepCron, {});
  await jobs.schedule('integrity.verify', config.integrityVerifyCron, { mode: 'sample', sampleSize: config.integritySampleSize });
}
