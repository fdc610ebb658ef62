import type { IntegrityVerifier } from '../../compliance/integrity/integrity-verifier.js';
import type { JobHandler } from '../job-queue.js';

/**
 * integrity.verify: re-reads stored media (a random sample by default) and records the
 * outcome. Safe to rerun: a recording already marked failed keeps its status and sends no
 * second webhook.
 */
export function integrityVerifyJob(verifier: IntegrityVerifier, defaultSampleSize: number): JobHandler<'integrity.verify'> {
  return async (payload) => {
    if (payload.recordingId) await verifier.verify({ mode: 'recording', recordingId: payload.recordingId });
    else if (payload.mode === 'all') await verifier.verify({ mode: 'all' });
    else await verifier.verify({ mode: 'sample', size: payload.sampleSize ?? defaultSampleSize });
  };
}
