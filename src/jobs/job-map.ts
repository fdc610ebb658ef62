/**
 * Every job the system runs: name → payload. Declared once; the queue, the senders
 * and the handlers are all typed from this map.
 */
export interface JobMap {
  /** Produce the missing rendition (WAV or MP3) of a recording and mark it completed. */
  'recording.transcode': { recordingId: string };
  /** Transcribe a completed recording into its (queued) transcript; engine failures end the transcript `failed`. */
  'transcription.run': { recordingId: string };
  /** Remove blobs left behind by a deleted recording (retried until storage answers). */
  'media.delete': { keys: string[]; storageClass?: 'standard' | 'archive' };
  /** Scheduled: re-queue conversions whose job was lost (a worker killed between storing and queueing). */
  'recording.sweep-stuck': Record<string, never>;
  /** Scheduled: apply retention policies (archive, delete media, delete) in batches. */
  'retention.sweep': Record<string, never>;
  /**
   * One attempt of one webhook delivery. Retries are not the queue's: a failed attempt
   * queues the next one itself (webhooks/delivery.ts owns the backoff and the 24 h horizon);
   * the queue's retries only cover a handler that could not reach the database.
   */
  'webhook.deliver': { deliveryId: string };
  /** Scheduled: re-queue webhook deliveries whose job was lost; prune old delivery log entries. */
  'webhook.sweep': Record<string, never>;
  /** Scheduled (INTEGRITY_VERIFY_CRON): re-read stored media and compare with the recorded SHA-256. Sample mode by default. */
  'integrity.verify': { mode?: 'sample' | 'all'; sampleSize?: number; recordingId?: string };
  /** Build one export bundle into the blob store; a rerun rebuilds the same bundle under the same key. */
  'export.build': { exportId: string };
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
  // Retries cover an unreachable or overloaded transcription server; an hour-long call decodes in ~15 min per core.
  'transcription.run': { retryLimit: 3, retryDelaySeconds: 30, expireInSeconds: 60 * 60 },
  'media.delete': { retryLimit: 10, retryDelaySeconds: 30, expireInSeconds: 5 * 60 },
  'recording.sweep-stuck': { retryLimit: 0, retryDelaySeconds: 60, expireInSeconds: 5 * 60 },
  'retention.sweep': { retryLimit: 2, retryDelaySeconds: 300, expireInSeconds: 3 * 3600 },
  'webhook.deliver': { retryLimit: 3, retryDelaySeconds: 10, expireInSeconds: 60 },
  'webhook.sweep': { retryLimit: 0, retryDelaySeconds: 60, expireInSeconds: 5 * 60 },
  'integrity.verify': { retryLimit: 1, retryDelaySeconds: 300, expireInSeconds: 6 * 3600 },
  'export.build': { retryLimit: 2, retryDelaySeconds: 30, expireInSeconds: 2 * 3600 },
};

/** Cron schedules (UTC) of recurring jobs, started by worker processes. */
export const JOB_SCHEDULES: Array<{ name: JobName; cron: string }> = [
  { name: 'recording.sweep-stuck', cron: '*/5 * * * *' },
  { name: 'webhook.sweep', cron: '* * * * *' },
];

export const JOB_NAMES = Object.keys(JOB_POLICIES) as JobName[];
