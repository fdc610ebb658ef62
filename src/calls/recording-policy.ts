import type { Call } from './call.js';
import type { Track } from '../recorder/recording-tap.js';

/** Whether and how a new live call is recorded from its first moment. */
export type RecordingDecision = { record: false } | { record: true; channels: 1 | 2; track: Track; transcribe?: boolean; ruleId?: string };

/** Decides automatic recording for a new call. */
export interface RecordingPolicy {
  decide(call: Call): Promise<RecordingDecision>;
}
