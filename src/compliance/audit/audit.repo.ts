import type { AuditEntry, AuditEvent } from './audit-event.js';

/** Filters of `GET /audit-events`. */
export interface AuditFilter {
  action?: string;
  actor?: string;
  resourceId?: string;
  since?: Date;
  until?: Date;
}

/** Persistence of the append-only audit chain. */
export interface AuditRepository {
  /**
   * Appends entries after the current head, numbering and chaining them, atomically
   * (processes appending at once take turns on the chain head).
   */
  append(entries: Array<AuditEntry & { id: string; at: string }>): Promise<void>;
  list(accountId: string, filter: AuditFilter, page: { page: number; size: number }): Promise<{ items: AuditEvent[]; total: number }>;
  /** Every event in chain order after `afterSeq`, a batch at a time (for verification). */
  batchAfter(afterSeq: number, limit: number): Promise<AuditEvent[]>;
}
