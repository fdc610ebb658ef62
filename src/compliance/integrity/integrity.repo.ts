import type { IntegrityStatus, Recording } from '../../recordings/recording.js';

/** What integrity checks read and record (every account: this is an operator's tool). */
export interface IntegrityRepository {
  /** The next `limit` checkable recordings (not in progress, with stored media) by id after `afterId`. */
  checkableAfter(afterId: string, limit: number): Promise<Recording[]>;
  /** Ids of up to `n` checkable recordings, chosen at random. */
  sampleIds(n: number): Promise<string[]>;
  /** These recordings (any state), in no particular order. */
  byIds(ids: string[]): Promise<Recording[]>;
  /**
   * Records a check's outcome. For corrupt or missing, `newlyFailed` is true only for the one
   * call that changed the recording to that status (so its webhook goes out once, even with
   * two verifiers racing); checking it again keeps the status and moves `checked_at`.
   */
  record(id: string, status: IntegrityStatus, checkedAt: Date, detail: string | null): Promise<{ newlyFailed: boolean }>;
  /** Recordings currently marked corrupt and missing, over all accounts. */
  failureCounts(): Promise<{ corrupt: number; missing: number }>;
}
