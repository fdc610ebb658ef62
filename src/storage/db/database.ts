import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, type CompiledQuery, type Driver, type PostgresDialectConfig } from 'kysely';
import { CachedSqliteDialect } from './sqlite-dialect.js';
import { startBackgroundCheckpoints } from './sqlite-checkpointer.js';
import { preparedReader } from './pg-prepared.js';
import { RecordingWriteSignal, RecordingWriteWatchingDriver } from './recording-writes.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /**
   * Runs a compiled SELECT straight on the driver. Kysely's executor costs ~40 µs of
   * promise hops per query under load, more than the query; hot read paths use this.
   */
  read<R>(compiled: CompiledQuery): Promise<R[]>;
  /** This process's writes to recordings and transcripts, as they happen (the recording cache listens). */
  recordingWrites: RecordingWriteSignal;
  /** SQLite only: true when another connection (a CLI process) committed since the last call. */
  changedElsewhere?: () => boolean;
  /** SQLite only: a synchronous transaction on the raw connection (see QueuedSqliteDriver.inTransaction). */
  sqliteTransaction?: <T>(work: (sqlite: SqliteDatabase.Database) => T) => Promise<T>;
  /** The pg pool when on PostgreSQL (pg-boss and metrics reuse its settings). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

// bigint columns hold byte counts and durations far below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Resolves `sqlite:///abs/file.db`, `sqlite://rel/file.db` or `sqlite::memory:` to a file name. */
export function sqliteFileFromUrl(url: string): string {
  if (url === 'sqlite::memory:' || url === 'sqlite://:memory:') return ':memory:';
  return path.resolve(url.replace(/^sqlite:(\/\/)?/, ''));
}

/** Kysely's PostgreSQL dialect, its driver telling `recordingWrites` about writes to recordings. */
class WatchedPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly recordingWrites: RecordingWriteSignal,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new RecordingWriteWatchingDriver(super.createDriver(), this.recordingWrites);
  }
}

/** Opens the database named by a DATABASE_URL, SQLite or PostgreSQL, behind one Kysely type. */
export interface OpenOptions {
  poolSize?: number;
  onPoolError?: (err: Error) => void;
  /** SQLite: checkpoint the WAL from a worker thread (long-running servers; see sqlite-checkpointer). */
  backgroundCheckpoints?: { onError: (message: string) => void };
}

export function openDatabase(url: string, opts: OpenOptions = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(sqliteFileFromUrl(url), opts.backgroundCheckpoints);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 3000,
    // Keep-alive so a dead server is noticed instead of hanging a request.
    keepAlive: true,
  });
  // A client losing its connection emits 'error'; with no listener node would crash. The pool
  // listens only while a client is idle (and re-emits here), not while Kysely holds it for a
  // query or transaction, so each client gets its own listener for its whole life: the one
  // place the error is logged (the in-flight query, if any, fails with it too).
  pool.on('connect', (client) => client.on('error', (err) => opts.onPoolError?.(err)));
  pool.on('error', () => {}); // the idle case, already logged by the client's own listener
  const recordingWrites = new RecordingWriteSignal();
  const db = new Kysely<Database>({ dialect: new WatchedPostgresDialect({ pool }, recordingWrites) });
  const read = preparedReader(pool);
  return { db, dialect: 'postgres', pool, read, recordingWrites, close: () => db.destroy() };
}

function openSqlite(file: string, backgroundCheckpoints?: OpenOptions['backgroundCheckpoints']): DatabaseHandle {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers run beside the single writer; NORMAL sync is durable across process crashes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const recordingWrites = new RecordingWriteSignal();
  const dialect = new CachedSqliteDialect(sqlite, recordingWrites);
  const db = new Kysely<Database>({ dialect });
  const read = async <R>(compiled: CompiledQuery): Promise<R[]> => dialect.driver.read<R>(compiled);
  const changedElsewhere = dataVersionWatch(sqlite);
  const stopCheckpoints = backgroundCheckpoints && file !== ':memory:' ? startBackgroundCheckpoints(sqlite, file, backgroundCheckpoints.onError) : undefined;
  const close = async () => {
    await stopCheckpoints?.();
    await db.destroy();
  };
  return { db, dialect: 'sqlite', read, recordingWrites, changedElsewhere, sqliteTransaction: (work) => dialect.driver.inTransaction(work), close };
}

/**
 * True when another connection (a CLI command) committed since the last check. SQLite's
 * data_version moves on other connections' commits, never on this one's. Asking costs
 * ~15 µs, so it is asked once per event-loop turn: every request of a turn sees changes
 * committed before the turn began.
 */
function dataVersionWatch(sqlite: SqliteDatabase.Database): () => boolean {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  let seen = dataVersion.get();
  let checkedThisTurn = false;
  return () => {
    if (checkedThisTurn) return false;
    checkedThisTurn = true;
    setImmediate(() => (checkedThisTurn = false));
    return seen !== (seen = dataVersion.get());
  };
}
