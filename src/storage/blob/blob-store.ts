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
  /** Lists keys under a prefix (for reconciliation). */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
  /** A time-limited URL clients can fetch directly, where the backend has one (S3); undefined otherwise. */
  signedUrl?(key: string, opts: SignedUrlOptions): Promise<string>;
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
