import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import { CachedSqliteDialect } from './sqlite-dialect.js';
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

/** Opens the database named by a DATABASE_URL, SQLite or PostgreSQL, behind one Kysely type. */
export function openDatabase(url: string, opts: { poolSize?: number; onPoolError?: (err: Error) => void } = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(sqliteFileFromUrl(url));
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
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const read = async <R>(compiled: CompiledQuery): Promise<R[]> => (await pool.query(compiled.sql, compiled.parameters as unknown[])).rows as R[];
  return { db, dialect: 'postgres', pool, read, close: () => db.destroy() };
}

function openSqlite(file: string): DatabaseHandle {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers run beside the single writer; NORMAL sync is durable across process crashes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const dialect = new CachedSqliteDialect(sqlite);
  const db = new Kysely<Database>({ dialect });
  const read = async <R>(compiled: CompiledQuery): Promise<R[]> => dialect.driver.read<R>(compiled);
  return { db, dialect: 'sqlite', read, close: () => db.destroy() };
}

