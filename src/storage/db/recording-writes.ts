import type { CompiledQuery, DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';

// Statements that can change what a cached recording is made of: its row, or its transcript's
// status. Kysely quotes identifiers; raw SQL may not. `recordings_fts` and the like do not match.
const RECORDING_WRITE = /\b(?:update|delete\s+from|insert\s+into)\s+"?(?:recordings|transcripts)"?[\s(]/i;

/** True when `sql` may change a recording or its transcript. */
export function changesRecordings(sql: string): boolean {
  return RECORDING_WRITE.test(sql);
}

/** Listeners told about this process's writes to recordings (the recording cache). */
export class RecordingWriteSignal {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * Wraps a pooled driver (PostgreSQL) so that a statement writing recordings signals when it
 * starts, when it finishes and, inside a transaction, when the transaction ends: a read
 * that overlapped the write, on any pooled connection, is then never cached.
 */
export class RecordingWriteWatchingDriver implements Driver {
  private readonly dirty = new WeakSet<DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly signal: RecordingWriteSignal,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    const { signal, dirty } = this;
    return {
      async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
        if (!changesRecordings(compiled.sql)) return connection.executeQuery<R>(compiled);
        dirty.add(connection);
        signal.emit();
        try {
          return await connection.executeQuery<R>(compiled);
        } finally {
          signal.emit();
        }
      },
      streamQuery: (compiled, chunkSize) => connection.streamQuery(compiled, chunkSize),
      // The real connection, for the driver's own calls below.
      inner: connection,
    } as DatabaseConnection;
  }

  private unwrap(connection: DatabaseConnection): DatabaseConnection {
    return (connection as unknown as { inner: DatabaseConnection }).inner;
  }

  private settled(connection: DatabaseConnection): void {
    if (this.dirty.delete(connection)) this.signal.emit();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(this.unwrap(connection), settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.commitTransaction(this.unwrap(connection));
    this.settled(this.unwrap(connection));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.rollbackTransaction(this.unwrap(connection));
    this.settled(this.unwrap(connection));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.settled(this.unwrap(connection));
    await this.inner.releaseConnection(this.unwrap(connection));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.inner.savepoint!(this.unwrap(connection), name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.inner.rollbackToSavepoint!(this.unwrap(connection), name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.inner.releaseSavepoint!(this.unwrap(connection), name, compile);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
