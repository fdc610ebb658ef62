import type { Logger } from '../../logger.js';
import { packEntry, unpackEntries, PACKED_ENTRY_LENGTH, type AuditEntry, type PackedAuditEntries } from './audit-event.js';
import type { AuditRepository } from './audit.repo.js';

/** Where AuditLog's batches go: a writer thread, or the repository itself (`inlineAppender`). */
export interface AuditAppender {
  append(batch: PackedAuditEntries): Promise<void>;
  /** Ends the appender after the batches already handed over. */
  close?(): Promise<void>;
}

/** Appends on this thread, straight to the repository. */
export function inlineAppender(repo: Pick<AuditRepository, 'append'>): AuditAppender {
  return { append: (batch) => repo.append(unpackEntries(batch)) };
}

/**
 * Collects audit entries and appends them to the chain in batches (every `flushMs`, or
 * sooner when `maxBatch` pile up), so auditing every read costs the request path a few
 * array pushes, not a database transaction. `flush()` writes what is pending (shutdown,
 * tests); entries of a crashed process's last `flushMs` are lost.
 */
export class AuditLog {
  private pending: PackedAuditEntries = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly appender: AuditAppender,
    private readonly log: Logger,
    private readonly flushMs = 100,
    private readonly maxBatch = 500,
  ) {}

  /** Records an entry (never throws into the caller). */
  record(entry: AuditEntry): void {
    packEntry(this.pending, entry, Date.now());
    if (this.pending.length >= this.maxBatch * PACKED_ENTRY_LENGTH) void this.flush();
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
          await this.appender.append(batch);
          return;
        } catch (err) {
          if (attempt >= 5) {
            this.log.error({ err, lost: batch.length / PACKED_ENTRY_LENGTH }, 'audit events could not be written');
            return;
          }
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    });
    return this.flushing;
  }

  /** Appends what is pending, then ends the appender. */
  async close(): Promise<void> {
    await this.flush();
    await this.appender.close?.();
  }
}
