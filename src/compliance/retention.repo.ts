import type { Recording } from '../recordings/recording.js';
import type { RetentionPolicy } from './retention-policy.js';

/** A legal hold and what it covers. */
export interface LegalHold {
  id: string;
  accountId: string;
  reason: string;
  filter: { recordingIds?: string[]; callId?: string; createdAfter?: string; createdBefore?: string };
  recordingCount: number;
  createdAt: Date;
  releasedAt: Date | null;
}

/** Persistence of retention policies, legal holds and sweep runs. */
export interface RetentionRepository {
  insertPolicy(p: RetentionPolicy): Promise<void>;
  updatePolicy(p: RetentionPolicy): Promise<void>;
  findPolicy(accountId: string, id: string): Promise<RetentionPolicy | null>;
  listPolicies(accountId: string): Promise<RetentionPolicy[]>;
  deletePolicy(accountId: string, id: string): Promise<boolean>;
  /** Accounts that have at least one policy. */
  accountsWithPolicies(): Promise<string[]>;
  /**
   * Unheld, finished recordings of an account created before `createdBefore`, after the
   * keyset position `after` (date_created, id), oldest first.
   */
  candidates(accountId: string, createdBefore: Date, after: { createdAt: string; id: string } | null, limit: number): Promise<Recording[]>;

  /** Creates a hold over the matching recordings of the account; returns it with its count. */
  createHold(hold: Omit<LegalHold, 'recordingCount' | 'releasedAt'>): Promise<LegalHold>;
  findHold(accountId: string, id: string): Promise<LegalHold | null>;
  listHolds(accountId: string): Promise<LegalHold[]>;
  /** Releases an active hold; false when there is no such active hold. */
  releaseHold(accountId: string, id: string, at: Date): Promise<boolean>;

  startRun(id: string, at: Date): Promise<void>;
  finishRun(id: string, at: Date, counts: { archived: number; mediaDeleted: number; deleted: number; errors: number }): Promise<void>;
}
