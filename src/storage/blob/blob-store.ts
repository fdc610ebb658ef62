import type { Readable } from 'node:stream';

/** Inclusive byte range, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutResult {
  /** Bytes stored. */
  size: number;
  /** SHA-256 of the stored bytes, hex. */
  sha256: string;
}

export interface BlobStat {
  size: number;
  lastModified?: Date;
}

export interface SignedUrlOptions {
  ttlSeconds: number;
  contentType?: string;
  /** File name suggested to the browser (Content-Disposition). */
  fileName?: string;
}

/** Positional reads of one stored object (see BlobStore.openReader). */
export interface BlobReader {
  /** Size of the object, bytes. */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns the bytes read (0 past the end). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Where audio bytes live. The database stores keys (like `recordings/AC.../RE....wav`),
 * never paths, so the same rows work on local disk and in a bucket.
 */
export interface BlobStore {
  /** Human-readable location for logs ("file:///data/media", "s3://bucket/prefix"). */
  readonly description: string;
  /** Stores a whole object atomically: readers see the old object, or none, or the complete new one. */
  put(key: string, body: Readable | Buffer, opts?: { contentType?: string }): Promise<PutResult>;
  /** Streams an object or a byte range of it; throws BlobNotFoundError when absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of an object, or null when absent. */
  stat(key: string): Promise<BlobStat | null>;
  /** Removes an object; removing an absent key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes many objects, absent ones included, sooner than one `delete` each (one
   * request per 1,000 keys on S3, many unlinks at once on disk). Throws when any could
   * not be removed; the others may be gone, and deleting again is harmless.
   */
  deleteMany(keys: string[]): Promise<void>;
  /** Lists keys under a prefix (for reconciliation). */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
  /** A time-limited URL clients can fetch directly, where the backend has one (S3); undefined otherwise. */
  signedUrl?(key: string, opts: SignedUrlOptions): Promise<string>;
  /**
   * Opens an object for positional reads into the caller's buffers, where the backend has
   * them cheaply (local disk); undefined otherwise. Throws BlobNotFoundError when absent.
   * Readers that process fixed-size blocks (decryption) reuse one buffer instead of a fresh one per read.
   */
  openReader?(key: string): Promise<BlobReader>;
}

/** The requested key does not exist. */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob not found: ${key}`);
  }
}

/** Rejects keys that could escape a prefix or directory. */
export function assertSafeKey(key: string): void {
  if (!key || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.' || part === '') || key.includes('\\') || key.includes('\0')) {
    throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
  }
}
