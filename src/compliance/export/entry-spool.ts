import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/** Appended lines are written to the file in batches of about this many bytes. */
const FLUSH_BYTES = 64 * 1024;

/**
 * An append-only list of small records (one JSON line each) kept in a temporary file, so
 * a bundle of a million files needs no more memory than a bundle of ten: the manifest and
 * the zip central directory are rendered at the end by reading it back.
 */
export class EntrySpool<T> {
  private pending: string[] = [];
  private pendingBytes = 0;
  private count = 0;

  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  /** A new, empty spool in the system's temporary directory. */
  static async open<T>(): Promise<EntrySpool<T>> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'telefonie-export-'));
    const file = path.join(dir, 'entries.jsonl');
    return new EntrySpool<T>(dir, file, await fsp.open(file, 'a'));
  }

  /** Records appended so far. */
  get size(): number {
    return this.count;
  }

  /** Appends one record. */
  async append(record: T): Promise<void> {
    const line = JSON.stringify(record) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.count++;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const data = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data);
  }

  /** Every record appended so far, in order; appending may continue afterwards. */
  async *read(): AsyncGenerator<T> {
    await this.flush();
    const lines = readline.createInterface({ input: fs.createReadStream(this.file), crlfDelay: Infinity });
    try {
      for await (const line of lines) if (line) yield JSON.parse(line) as T;
    } finally {
      lines.close();
    }
  }

  /** Closes and removes the temporary file. */
  async dispose(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
