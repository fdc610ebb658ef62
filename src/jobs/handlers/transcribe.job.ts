import type { TranscriptsService } from '../../transcription/transcripts.service.js';
import { JOB_POLICIES } from '../job-map.js';
import type { JobHandler } from '../job-queue.js';

/**
 * transcription.run: transcribe one recording. Idempotent (a finished or deleted transcript
 * is left alone); retryable failures throw for another attempt, and the last attempt ends
 * the transcript `failed` instead.
 */
export function transcribeJob(transcripts: TranscriptsService): JobHandler<'transcription.run'> {
  return async ({ recordingId }, ctx) => {
    await transcripts.run(recordingId, ctx.attempt > JOB_POLICIES['transcription.run'].retryLimit);
  };
}
