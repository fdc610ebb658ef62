import type SqliteDatabase from 'better-sqlite3';
import { RecordingWriteSignal, changesRecordings } from './recording-writes.js';
import { rowFactory, type RowFactory } from './row-factory.js';
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

/**
 * Kysely's SQLite dialect with two changes that matter under concurrent load:
 * prepared statements are reused by SQL text (preparing costs ~30 µs, more than a
 * primary-key lookup), and the single connection is handed out in FIFO order
 * (Kysely's own mutex wakes every waiter on each release, O(n²) with n requests in flight).
 */
export class CachedSqliteDialect extends SqliteDialect {
  readonly driver: QueuedSqliteDriver;

  constructor(sqlite: SqliteDatabase.Database, recordingWrites: RecordingWriteSignal) {
    super({ database: sqlite });
    this.driver = new QueuedSqliteDriver(sqlite, recordingWrites);
  }

  override createDriver(): Driver {
    return this.driver;
  }
}

/** The driver; also runs compiled reads directly, without Kysely's per-query async machinery. */
export class QueuedSqliteDriver implements Driver {
  private readonly connection: CachedSqliteConnection;
  private busy = false;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    recordingWrites: RecordingWriteSignal,
  ) {
    this.connection = new CachedSqliteConnection(sqlite, recordingWrites);
  }

  async init(): Promise<void> {}

  /**
   * Runs a compiled read at once when the connection is free (the common case: every
   * query is synchronous), else after the queue, so it never runs inside someone's transaction.
   */
  read<R>(compiled: CompiledQuery): R[] | Promise<R[]> {
    if (!this.busy) return this.connection.readRows<R>(compiled);
    return (async () => {
      const connection = await this.acquireConnection();
      try {
        return (connection as CachedSqliteConnection).readRows<R>(compiled);
      } finally {
        await this.releaseConnection();
      }
    })();
  }

  /**
   * Runs `work` synchronously inside one IMMEDIATE transaction on the raw connection, once
   * no Kysely query or transaction holds it. For batch appends: a prepared statement run
   * N times costs a few µs per row, where building one N-row insert with Kysely costs
   * several µs per value, and nothing else can interleave with a synchronous transaction.
   */
  async inTransaction<T>(work: (sqlite: SqliteDatabase.Database) => T): Promise<T> {
    await this.acquireConnection();
    try {
      return this.sqlite.transaction(() => work(this.sqlite)).immediate();
    } finally {
      await this.releaseConnection();
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.busy) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.busy = true;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiters.shift();
    if (next) next();
    else this.busy = false;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // IMMEDIATE takes the write lock up front: a read-then-write transaction (the audit chain
    // head) can then never fail to upgrade its lock against another process's writer.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    this.sqlite.close();
  }
}

/** A prepared statement, and whether it writes what the recording cache holds. */
interface Prepared {
  statement: SqliteDatabase.Statement;
  changesRecordings: boolean;
  /** For a reader: builds one row object from the raw array of its columns. */
  toRow?: RowFactory;
}

class CachedSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, Prepared>();

  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    private readonly recordingWrites: RecordingWriteSignal,
  ) {}

  private prepare(sql: string): Prepared {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      const statement = this.sqlite.prepare(sql);
      prepared = { statement, changesRecordings: changesRecordings(sql) };
      if (statement.reader) {
        statement.raw(true);
        prepared.toRow = rowFactory(statement.columns().map((c) => c.name));
      }
      // Bounded; SQLite re-prepares a cached statement by itself after a schema change.
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** Rows of a compiled SELECT, synchronously. */
  readRows<R>(compiled: CompiledQuery): R[] {
    return this.rowsOf<R>(this.prepare(compiled.sql), compiled.parameters as unknown[]);
  }

  private rowsOf<R>(prepared: Prepared, parameters: unknown[]): R[] {
    const values = prepared.statement.all(parameters) as unknown[][];
    if (values.length === 0) return [];
    // A schema change re-prepares the statement inside SQLite: `SELECT *` may then have other columns.
    if (values[0].length !== prepared.toRow!.columns.length) prepared.toRow = rowFactory(prepared.statement.columns().map((c) => c.name));
    const rows = new Array<R>(values.length);
    for (let i = 0; i < values.length; i++) rows[i] = prepared.toRow!(values[i]) as R;
    return rows;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const prepared = this.prepare(compiled.sql);
    const { statement, changesRecordings } = prepared;
    // Synchronous, and reads wait for a transaction to end: signalling the statement is enough.
    if (changesRecordings) this.recordingWrites.emit();
    const parameters = compiled.parameters as unknown[];
    if (statement.reader) return { rows: this.rowsOf<R>(prepared, parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not used with SQLite');
  }
}
