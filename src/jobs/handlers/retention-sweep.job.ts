import type { RetentionSweeper } from '../../compliance/retention-sweep.service.js';
import type { JobHandler } from '../job-queue.js';

/** retention.sweep: one pass over every account's due recordings; safe to rerun after a crash. */
export function retentionSweepJob(sweeper: RetentionSweeper): JobHandler<'retention.sweep'> {
  return async () => {
    await sweeper.sweep();
  };
}
