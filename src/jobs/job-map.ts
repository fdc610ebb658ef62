/**
 * Every job the system runs: name → payload. Declared once; the queue, the senders
 * and the handlers are all typed from this map.
 */
export interface JobMap {
  /** Produce the missing rendition (WAV or MP3) of a recording and mark it completed. */
  'recording.transcode': { recordingId: string };
  /** Remove blobs left behind by a deleted recording (retried until storage answers). */
  'media.delete': { keys: string[] };
  /** Scheduled: re-queue conversions whose job was lost (a worker killed between storing and queueing). */
  'recording.sweep-stuck': Record<string, never>;
}

export type JobName = keyof JobMap;

/** Retry policy per job: attempts in all, and the first retry delay (doubling each time). */
export interface RetryPolicy {
  retryLimit: number;
  retryDelaySeconds: number;
  /** Seconds a worker may hold a job before another may take it over. */
  expireInSeconds: number;
}

export const JOB_POLICIES: Record<JobName, RetryPolicy> = {
  'recording.transcode': { retryLimit: 3, retryDelaySeconds: 5, expireInSeconds: 15 * 60 },
  'media.delete': { retryLimit: 10, retryDelaySeconds: 30, expireInSeconds: 5 * 60 },
  'recording.sweep-stuck': { retryLimit: 0, retryDelaySeconds: 60, expireInSeconds: 5 * 60 },
};

/** Cron schedules (UTC) of recurring jobs, started by worker processes. */
export const JOB_SCHEDULES: Array<{ name: JobName; cron: string }> = [{ name: 'recording.sweep-stuck', cron: '*/5 * * * *' }];

export const JOB_NAMES = Object.keys(JOB_POLICIES) as JobName[];
