// The audit writer thread's program: its own connection to the audit tables, appending
// the batches the main thread posts, one at a time, and answering each with its number.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { KyselyAuditRepository } from './audit.repo.js';
import { unpackEntries } from '../../compliance/audit/audit-event.js';
import type { AuditWriterRequest, AuditWriterReply } from './audit-writer-thread.js';

const { url } = workerData.data as { url: string };
const port = parentPort!;
const handle = openDatabase(url, { poolSize: 1 });
const repo = new KyselyAuditRepository(handle.db, handle.sqliteTransaction);
const reply = (m: AuditWriterReply) => port.postMessage(m);

// Batches append in the order they came, each after the one before has committed.
let queue: Promise<void> = Promise.resolve();
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
reply({ n: 0 });
