import type { RecordingRepository } from '../../recordings/recording.repo.js';
import type { RecordingsService } from '../../recordings/recordings.service.js';
import type { RenditionsService } from '../../recordings/renditions.service.js';
import { JOB_POLICIES } from '../job-map.js';
import { PermanentJobError, type JobHandler } from '../job-queue.js';

/** recording.transcode: make the missing rendition; on the last failed attempt, fail the recording with a code. */
export function transcodeJob(deps: { renditions: RenditionsService; recordings: RecordingsService; repo: RecordingRepository }): JobHandler<'recording.transcode'> {
  return async ({ recordingId }, ctx) => {
    try {
      await deps.renditions.complete(recordingId);
    } catch (err) {
      const permanent = err instanceof PermanentJobError;
      if (permanent || ctx.attempt > JOB_POLICIES['recording.transcode'].retryLimit) {
        const recording = await deps.repo.findByIdUnscoped(recordingId);
        if (recording) {
          await deps.recordings.markFailed(recording, permanent ? err.code : 'transcode_failed', `could not convert the audio: ${(err as Error).message}`);
        }
      }
      throw err;
    }
  };
}
