import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { openDatabase, sqliteFileFromUrl, type DatabaseHandle } from './database.js';
import { GENESIS_HASH } from '../../compliance/audit/audit-event.js';
import { AUDIT_ERA_EVENTS } from './audit.repo.js';

/** Where the audit trail lives: its own handle and the URL another thread can open it with. */
export interface AuditDatabase {
  handle: DatabaseHandle;
  /** DATABASE_URL-style address of the audit tables, for the writer thread; undefined when only this connection can reach them (`:memory:`). */
  url?: string;
  close(): Promise<void>;
}

/** `/data/telefonie.db` → `/data/telefonie.audit.db`. */
export function auditDatabaseFile(mainFile: string): string {
  const ext = path.extname(mainFile);
  return path.join(path.dirname(mainFile), `${path.basename(mainFile, ext)}.audit${ext || '.db'}`);
}

// The audit file's schema: the main database's audit tables (migrations 010 and 012), except
// that `seq` is the rowid itself (INTEGER PRIMARY KEY), one B-tree fewer to update per event.
// Files made before the resource index went by era (012) lose the old index on their next start.
const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, at TEXT NOT NULL, account_id TEXT, actor TEXT NOT NULL,
  action TEXT NOT NULL, resource_type TEXT, resource_id TEXT, ip TEXT, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_events_account ON audit_events (account_id, seq);
DROP INDEX IF EXISTS audit_events_resource;
CREATE INDEX IF NOT EXISTS audit_events_resource_by_era ON audit_events ((seq / ${AUDIT_ERA_EVENTS}), resource_id);
CREATE TABLE IF NOT EXISTS audit_chain_head (id INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, last_hash TEXT NOT NULL);
INSERT OR IGNORE INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, '${GENESIS_HASH}');
`;

/**
 * Creates the audit file's tables and moves in any events still in the main database
 * (written before the trail had its own file), keeping their numbers and hashes. Each
 * file commits atomically on its own, so a crash between the two commits leaves the
 * events in both; the next start copies nothing twice (same seq) and deletes them then.
 */
function prepareAuditFile(auditFile: string, mainFile: string): void {
  const sqlite = new SqliteDatabase(auditFile);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.exec(AUDIT_SCHEMA);
    sqlite.prepare('ATTACH ? AS main_db').run(mainFile);
    const hasOld = sqlite.prepare("SELECT 1 FROM main_db.sqlite_master WHERE type = 'table' AND name = 'audit_events'").get();
    if (!hasOld || !sqlite.prepare('SELECT 1 FROM main_db.audit_events LIMIT 1').get()) return;
    sqlite.transaction(() => {
      sqlite.exec('INSERT OR IGNORE INTO audit_events SELECT seq, id, at, account_id, actor, action, resource_type, resource_id, ip, details, prev_hash, hash FROM main_db.audit_events');
      // The head moves only forward: after a half-finished move it already names the newer events.
      sqlite.exec(`UPDATE audit_chain_head SET (last_seq, last_hash) = (SELECT last_seq, last_hash FROM main_db.audit_chain_head WHERE id = 1)
        WHERE id = 1 AND last_seq < (SELECT last_seq FROM main_db.audit_chain_head WHERE id = 1)`);
      sqlite.exec('DELETE FROM main_db.audit_events');
    }).immediate();
  } finally {
    sqlite.close();
  }
}

/**
 * Opens the audit trail's tables. On PostgreSQL they are the main database's. A SQLite
 * file keeps them in a file of their own beside it, so the writer thread's commits (one
 * per batch of API reads) do not touch the main file: a commit by another connection
 * makes SQLite drop this connection's whole page cache of that file, which cost every
 * API read ~20 µs more when the writer shared it.
 */
export function openAuditDatabase(main: DatabaseHandle, mainUrl: string): AuditDatabase {
  if (main.dialect === 'postgres') return { handle: main, url: mainUrl, close: async () => {} };
  const mainFile = sqliteFileFromUrl(mainUrl);
  if (mainFile === ':memory:') return { handle: main, close: async () => {} };
  const file = auditDatabaseFile(mainFile);
  prepareAuditFile(file, mainFile);
  const url = `sqlite://${file}`;
  const handle = openDatabase(url);
  return { handle, url, close: () => handle.close() };
}
