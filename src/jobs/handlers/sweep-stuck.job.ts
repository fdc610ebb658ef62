import type { Clock } from '../../clock.js';
import type { RecordingRepository } from '../../recordings/recording.repo.js';
import type { JobHandler, JobQueue } from '../job-queue.js';

/** How long a conversion may sit untouched before it is considered lost, in ms. */
const STALL_MS = 15 * 60 * 1000;

/**
 * recording.sweep-stuck: re-queues conversions that have been pending for a while.
 * Safe to run anywhere, any number of times: the transcode singleton key drops a
 * duplicate while one is queued, and the transcode itself is idempotent.
 */
export function sweepStuckJob(deps: { repo: RecordingRepository; jobs: JobQueue; clock: Clock }): JobHandler<'recording.sweep-stuck'> {
  return async () => {
    const before = new Date(deps.clock.now().getTime() - STALL_MS);
    for (const recordingId of await deps.repo.listStalledConversions(before, 500)) {
      await deps.jobs.send('recording.transcode', { recordingId }, { singletonKey: `transcode:${recordingId}` });
    }
  };
}
