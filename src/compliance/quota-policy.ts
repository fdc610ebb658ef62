import type { Logger } from '../logger.js';
import type { RecordingPolicy } from '../calls/recording-policy.js';
import type { UsageService } from './usage.service.js';

/** Automatic recording stops when an account has used up its quota: the call goes on, unrecorded. */
export function withinQuota(policy: RecordingPolicy, usage: UsageService, log: Logger): RecordingPolicy {
  return {
    async decide(call) {
      const decision = await policy.decide(call);
      if (!decision.record) return decision;
      try {
        await usage.assertWithinQuota(call.accountId);
        return decision;
      } catch (err) {
        if ((err as { code?: string }).code !== 'quota_exceeded') throw err;
        log.warn({ accountId: call.accountId, callId: call.callId, err: (err as Error).message }, 'quota reached; call not recorded');
        return { record: false };
      }
    },
  };
}
