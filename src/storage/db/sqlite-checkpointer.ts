import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

// The worker's whole program: its own connection, a PASSIVE checkpoint every interval.
// PASSIVE never waits for readers or the writer, and (unlike TRUNCATE or RESTART) does
// not move other connections' data_version, which the recording cache relies on.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: err.message });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** How far the WAL may grow before the main connection checkpoints by itself after all. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that
 * commits past 1,000 WAL pages copies them into the database file and fsyncs it, inside
 * that commit: a few ms every second or so under a steady write load (the audit trail
 * appends on every API read), blocking every request meanwhile. A worker thread with its
 * own connection checkpoints every `intervalMs` instead; the main connection keeps a far
 * higher threshold as a safety net, and returns to the default if the worker fails.
 */
export function startBackgroundCheckpoints(sqlite: SqliteDatabase.Database, file: string, onError: (message: string) => void, intervalMs = 500): () => Promise<void> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, module: createRequire(import.meta.url).resolve('better-sqlite3') } });
  worker.unref();
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  let stopping = false;
  let exited = false;
  const fallBack = (message: string) => {
    onError(message);
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  };
  worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
  worker.on('error', (err) => fallBack(err.message));
  worker.on('exit', (code) => {
    exited = true;
    if (!stopping) fallBack(`checkpoint worker exited with ${code}`);
  });
  return async () => {
    stopping = true;
    if (exited) return;
    // Unreferenced, the worker would not keep the process alive until its exit event.
    worker.ref();
    const exit = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('stop');
    await exit;
  };
}
