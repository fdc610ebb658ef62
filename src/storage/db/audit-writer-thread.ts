import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.js';
import type { PackedAuditEntries } from '../../compliance/audit/audit-event.js';
import type { AuditAppender } from '../../compliance/audit/audit-log.js';
import { startModuleWorker } from '../../module-worker.js';

export type AuditWriterRequest = { type: 'append'; n: number; batch: PackedAuditEntries } | { type: 'close' };
/** The answer to append `n`. */
export type AuditWriterReply = { n: number; error?: string };

/**
 * Appends audit batches from a worker thread with its own database connection, so the
 * chain's hashing and the inserts (one event per API read) leave the thread that answers
 * requests. The thread starts with the first batch or `start()`. Should it fail, appends
 * run on `fallback` in this thread instead.
 */
export class AuditWriterThread implements AuditAppender {
  private worker?: Worker;
  private failed = false;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();

  constructor(
    private readonly url: string,
    private readonly fallback: AuditAppender,
    private readonly log: Logger,
  ) {}

  append(batch: PackedAuditEntries): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    if (this.failed) return this.fallback.append(batch);
    const worker = this.start();
    const n = this.next++;
    // Referenced while a batch is out, so a process that flushes and ends waits for its answer.
    if (this.waiting.size === 0) worker.ref();
    const done = new Promise<void>((resolve, reject) => this.waiting.set(n, { resolve, reject }));
    worker.postMessage({ type: 'append', n, batch } satisfies AuditWriterRequest);
    return done;
  }

  /** Ends the thread after the batches already posted. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.failed) return;
    this.failed = true; // later appends (none expected) run in this thread
    worker.ref();
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'close' } satisfies AuditWriterRequest);
    await exited;
  }

  /** Starts the thread now (a server does at boot, so it is running before the first request), if not yet started by a batch. */
  start(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(new URL(`./audit-writer.worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url), { url: this.url });
    worker.unref();
    worker.on('message', (m: AuditWriterReply) => {
      const w = this.waiting.get(m.n);
      if (!w) return;
      this.waiting.delete(m.n);
      if (this.waiting.size === 0) worker.unref();
      if (m.error) w.reject(new Error(m.error));
      else w.resolve();
    });
    const fail = (reason: string) => {
      if (this.failed) return;
      this.failed = true;
      this.log.error({ err: reason }, 'audit writer thread failed: appending on the main thread from now on');
      for (const w of this.waiting.values()) w.reject(new Error(reason));
      this.waiting.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`audit writer thread exited with ${code}`));
    this.worker = worker;
    return worker;
  }
}
