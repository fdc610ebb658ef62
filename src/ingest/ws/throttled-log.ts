import type { Logger } from '../../logger.js';

/**
 * Warnings about bad input from media streams, at most one line per kind per interval
 * for the whole process: a thousand misbehaving streams must not flood the log. Each line
 * says how many of the same kind were suppressed since the previous one.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  /** Logs `message` for `kind` at warn level unless one was logged less than the interval ago. */
  warn(kind: string, fields: Record<string, unknown>, message: string, nowMs = Date.now()): void {
    this.write('warn', kind, fields, message, nowMs);
  }

  /** The same at error level (a bug, not bad input). */
  error(kind: string, fields: Record<string, unknown>, message: string, nowMs = Date.now()): void {
    this.write('error', kind, fields, message, nowMs);
  }

  private write(level: 'warn' | 'error', kind: string, fields: Record<string, unknown>, message: string, nowMs: number): void {
    const entry = this.last.get(kind);
    if (entry && nowMs - entry.atMs < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.log[level]({ ...fields, kind, suppressed: entry?.suppressed ?? 0 }, message);
    this.last.set(kind, { atMs: nowMs, suppressed: 0 });
  }
}
