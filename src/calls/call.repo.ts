import type { Call } from './call.js';

/** Persistence of calls. */
export interface CallRepository {
  /**
   * Creates the call, or reopens the account's call with the same `callId` (an SRC that
   * fails over to a new recording session for the same call keeps one call).
   */
  upsertLive(call: Call): Promise<Call>;
  findByCallId(accountId: string, callId: string): Promise<Call | null>;
  markEnded(id: string, at: Date): Promise<void>;
  /** A page of the account's calls, newest first, and the count of all matches. */
  list(accountId: string, filter: CallFilter, page: { page: number; size: number }): Promise<{ items: Call[]; total: number }>;
}

/** Filters of `GET /calls`. */
export interface CallFilter {
  status?: Call['status'];
  ingest?: Call['ingest'];
  startedAfter?: Date;
  startedBefore?: Date;
}
