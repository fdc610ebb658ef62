import type { Logger } from '../../logger.js';
import { newId } from '../../ids.js';
import type { AuditEntry } from './audit-event.js';
import type { AuditRepository } from './audit.repo.js';

/**
 * Collects audit entries and appends them to the chain in small batches (every
 * `flushMs`, or sooner when many pile up), so auditing every read costs the request
 * path an array push, not a database transaction. `flush()` writes what is pending
 * (shutdown, tests); entries of a crashed process's last `flushMs` are lost.
 */
export class AuditLog {
  private pending: Array<AuditEntry & { id: string; at: string }> = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: AuditRepository,
    private readonly log: Logger,
    private readonly flushMs = 100,
    private readonly maxBatch = 500,
  ) {}

  /** Records an entry (never throws into the caller). */
  record(entry: AuditEntry): void {
    const now = Date.now();
    this.pending.push({ ...entry, id: newId('AE', now), at: new Date(now).toISOString() });
    if (this.pending.length >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Appends everything recorded so far; batches are appended one after another, in order. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.repo.append(batch);
          return;
        } catch (err) {
          if (attempt >= 5) {
            this.log.error({ err, lost: batch.length }, 'audit events could not be written');
            return;
          }
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    });
    return this.flushing;
  }
}
