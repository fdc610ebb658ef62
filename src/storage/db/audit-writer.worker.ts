// The audit writer thread's program: its own connection to the audit tables, appending
// the batches the main thread posts, one at a time, and answering each with its number.
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openDatabase } from './database.js';
import { KyselyAuditRepository } from './audit.repo.js';
import { unpackEntries } from '../../compliance/audit/audit-event.js';
import type { AuditWriterRequest, AuditWriterReply } from './audit-writer-thread.js';

const { url } = workerData.data as { url: string };
const port = parentPort!;
const handle = openDatabase(url, { poolSize: 1 });
// The audit file is written all the time and read rarely: its WAL may grow to ~40 MB
// (10,000 pages, against SQLite's 1,000) before this thread copies it back, so a page
// that many batches touch (the resource_id index's) is checkpointed once, not per batch:
// ~4 µs less an event in bench:api. Readers (GET /audit-events) see the WAL either way.
// Not being able to set it is no reason to stop appending.
const ready = handle.dialect === 'sqlite' ? sql`PRAGMA wal_autocheckpoint = 10000`.execute(handle.db).catch(() => {}) : Promise.resolve();
const repo = new KyselyAuditRepository(handle.db, handle.sqliteTransaction);
const reply = (m: AuditWriterReply) => port.postMessage(m);

// Batches append in the order they came, each after the one before has committed.
let queue: Promise<unknown> = ready;
port.on('message', (m: AuditWriterRequest) => {
  queue = queue.then(async () => {
    if (m.type === 'close') {
      await handle.close();
      port.close();
      return;
    }
    try {
      await repo.append(unpackEntries(m.batch));
      reply({ n: m.n });
    } catch (err) {
      reply({ n: m.n, error: (err as Error).message });
    }
  });
});
