import type SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

/**
 * Kysely's SQLite dialect with two changes that matter under concurrent load:
 * prepared statements are reused by SQL text (preparing costs ~30 µs, more than a
 * primary-key lookup), and the single connection is handed out in FIFO order
 * (Kysely's own mutex wakes every waiter on each release, O(n²) with n requests in flight).
 */
export class CachedSqliteDialect extends SqliteDialect {
  readonly driver: QueuedSqliteDriver;

  constructor(sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
    this.driver = new QueuedSqliteDriver(sqlite);
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

  constructor(private readonly sqlite: SqliteDatabase.Database) {
    this.connection = new CachedSqliteConnection(sqlite);
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

class CachedSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly sqlite: SqliteDatabase.Database) {}

  private prepare(sql: string): SqliteDatabase.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      // Bounded; SQLite re-prepares a cached statement by itself after a schema change.
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Rows of a compiled SELECT, synchronously. */
  readRows<R>(compiled: CompiledQuery): R[] {
    return this.prepare(compiled.sql).all(compiled.parameters as unknown[]) as R[];
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not used with SQLite');
  }
}
