/**
 * One timer for all live recordings: every `intervalMs` it flushes the writers whose
 * oldest buffered audio is at least `intervalMs` old. Audio therefore stays in memory for
 * at most about two intervals (1 s at the default 500 ms), and a thousand recordings cost
 * one timer instead of a thousand.
 *
 * Flushes due on the same tick run at most `maxConcurrent` at a time. Recordings that
 * started together are all due together; issuing their 2,000 writes at once would stall
 * the event loop for tens of ms (late RTP handling) and fill libuv's 4-thread pool, which
 * every other fs, dns.lookup and crypto call in the process shares.
 */
import type { Logger } from '../logger.js';
import type { RecordingWriter } from './recording-writer.js';

/** The part of RecordingWriter the scheduler drives. */
export type FlushableWriter = Pick<RecordingWriter, 'recordingId' | 'state' | 'error' | 'bufferedSince' | 'flushing' | 'flush'>;

/** The logger calls the scheduler makes (a pino Logger, or a fake in tests). */
export type FlushLogger = Pick<Logger, 'error'>;

/** Options of {@link FlushScheduler} beyond the interval. */
export interface FlushSchedulerOptions {
  /** Receives flush failures (disk full...); they never escape into the timer. */
  logger?: FlushLogger;
  /** Writers flushed at the same time; 16 keeps the thread pool busy (each flush is one write per channel) without monopolizing it. */
  maxConcurrent?: number;
}

/** Flushes many RecordingWriters from one unref'd timer, a bounded number at a time. */
export class FlushScheduler {
  private readonly writers = new Set<FlushableWriter>();
  /** Writers waiting for a flush slot or being flushed, so a tick does not queue them twice. */
  private readonly pending = new Set<FlushableWriter>();
  /** Writers whose failure was logged, so each failure is logged once. */
  private readonly reported = new WeakSet<FlushableWriter>();
  private readonly logger?: FlushLogger;
  private readonly maxConcurrent: number;
  private running = 0;
  /** Flushes started and not finished, for stop() to wait on. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /**
   * @param intervalMs tick period and minimum age (ms) of buffered audio before it is written.
   * @param options a logger for flush failures, and the flush concurrency.
   */
  constructor(
    readonly intervalMs = 500,
    options: FlushSchedulerOptions = {},
  ) {
    if (!(intervalMs > 0)) throw new RangeError(`invalid flush interval ${intervalMs} ms`);
    this.logger = options.logger;
    this.maxConcurrent = options.maxConcurrent ?? 16;
    if (!(this.maxConcurrent >= 1)) throw new RangeError(`invalid maxConcurrent ${this.maxConcurrent}`);
  }

  /** Number of writers being flushed. */
  get size(): number {
    return this.writers.size;
  }

  /** Starts flushing `writer` on the shared tick; the timer starts with the first writer. */
  add(writer: FlushableWriter): void {
    if (this.stopped) throw new Error('flush scheduler is stopped');
    this.writers.add(writer);
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      // A recorder with nothing else to do must not keep the process alive for its timer.
      this.timer.unref();
    }
  }

  /** Stops flushing `writer` (its owner closes or discards it, which flushes or drops what is left). */
  remove(writer: FlushableWriter): void {
    this.writers.delete(writer);
  }

  /** Stops the timer and flushes every writer once; failures are logged, not thrown. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    // Writers mid-flush too: their own flush() queues behind the running one, so audio
    // buffered since that one started is written as well.
    for (const w of this.writers) if (w.state === 'open') this.flushLimited(w);
    this.writers.clear();
    // Flushes started by earlier ticks finish too: stop() means everything is on disk.
    await Promise.all(this.inFlight);
  }

  /** Queues the writers whose buffered audio has waited at least one interval. */
  private tick(): void {
    const oldest = performance.now() - this.intervalMs;
    for (const writer of this.writers) {
      if (writer.state !== 'open') {
        // Closed or discarded writers flush or drop their own audio. A failed one may have
        // failed in a flush its own write() started (high water), so report it here.
        this.writers.delete(writer);
        if (writer.state === 'failed') this.report(writer, writer.error);
        continue;
      }
      // A writer still busy with the previous flush (slow disk) is taken at a later tick,
      // with everything buffered meanwhile in one write, instead of queueing writes.
      if (writer.bufferedSince !== null && writer.bufferedSince <= oldest && !writer.flushing && !this.pending.has(writer)) {
        this.flushLimited(writer);
      }
    }
  }

  /** Starts flushing `writer` as soon as a concurrency slot is free. */
  private flushLimited(writer: FlushableWriter): void {
    this.pending.add(writer);
    const run = this.flushWhenFree(writer).then(() => {
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  /** Never rejects: failures are reported and surface on the writer. */
  private async flushWhenFree(writer: FlushableWriter): Promise<void> {
    if (this.running < this.maxConcurrent) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over by its holder
    try {
      if (writer.state === 'open') await writer.flush();
    } catch (err) {
      // The writer is now `failed` and ignores further audio; its owner reads writer.error
      // at close to fail the recording with a reason.
      this.writers.delete(writer);
      this.report(writer, err);
    } finally {
      this.pending.delete(writer);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private report(writer: FlushableWriter, err: unknown): void {
    if (this.reported.has(writer)) return;
    this.reported.add(writer);
    this.logger?.error({ err, recordingId: writer.recordingId }, 'recording spool write failed; recording stops here');
  }
}
