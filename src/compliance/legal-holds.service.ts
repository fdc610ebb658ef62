import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { LegalHold, RetentionRepository } from './retention.repo.js';

/** What a new hold covers: listed recordings, or a filter over the account's recordings. */
export interface HoldInput {
  reason: string;
  recordingIds?: string[];
  callId?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/**
 * Legal holds. A hold covers the recordings matching it when it is placed (as an
 * e-discovery hold preserves what exists); a held recording cannot be deleted by the API
 * or by retention until every hold on it is released.
 */
export class LegalHoldsService {
  constructor(
    private readonly repo: RetentionRepository,
    private readonly clock: Clock,
  ) {}

  async create(accountId: string, input: HoldInput): Promise<LegalHold> {
    if (!input.recordingIds && !input.callId && !input.createdAfter && !input.createdBefore) {
      throw new DomainError('invalid', 'hold_without_scope', 'a legal hold needs recording_ids or a filter (call_id, date_created_after, date_created_before)');
    }
    const now = this.clock.now();
    return this.repo.createHold({
      id: newId('LH', now.getTime()),
      accountId,
      reason: input.reason,
      filter: {
        recordingIds: input.recordingIds,
        callId: input.callId,
        createdAfter: input.createdAfter?.toISOString(),
        createdBefore: input.createdBefore?.toISOString(),
      },
      createdAt: now,
    });
  }

  async get(accountId: string, id: string): Promise<LegalHold> {
    const hold = await this.repo.findHold(accountId, id);
    if (!hold) throw notFound('legal_hold_not_found', `legal hold ${id} not found`);
    return hold;
  }

  list(accountId: string): Promise<LegalHold[]> {
    return this.repo.listHolds(accountId);
  }

  /** Releases a hold; retention resumes for recordings no other hold covers. */
  async release(accountId: string, id: string): Promise<LegalHold> {
    const hold = await this.get(accountId, id);
    if (hold.releasedAt) throw new DomainError('conflict', 'legal_hold_released', `legal hold ${id} was already released`);
    await this.repo.releaseHold(accountId, id, this.clock.now());
    return this.get(accountId, id);
  }
}
