import { createHash } from 'node:crypto';

/** One file about to be written into an archive. */
export interface ArchiveEntry {
  /** Path inside the archive, `/`-separated, relative (no leading slash, no `..`). */
  path: string;
  /** Exact content length in bytes; the writer refuses content of any other length. */
  size: number;
  mtime: Date;
}

/** What was written for one file: enough for a manifest line and a zip central directory record. */
export interface WrittenEntry {
  path: string;
  size: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
  /** CRC-32 of the content (zip needs it; computed for tar too, it costs little). */
  crc32: number;
  /** Offset of the entry's first header byte in the archive. */
  offset: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
}

/**
 * A streaming archive format: files go in one after another as chunks, nothing is buffered
 * beyond one header. The caller keeps the WrittenEntry list (zip needs it back at the end).
 */
export interface ArchiveWriter {
  readonly extension: 'tar' | 'zip';
  readonly contentType: string;
  /** Bytes produced so far. */
  readonly bytesWritten: number;
  /**
   * Yields the bytes of one file: header(s), the content passed through, trailer or padding;
   * returns what was written. Throws ArchiveContentError when the content is not `entry.size` bytes.
   */
  file(entry: ArchiveEntry, content: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer, WrittenEntry>;
  /** Yields the bytes closing the archive; `entries` are every WrittenEntry, in order (zip's central directory). */
  end(entries: AsyncIterable<WrittenEntry>): AsyncGenerator<Buffer, void>;
}

/** Content shorter or longer than announced: the archive cannot be finished correctly. */
export class ArchiveContentError extends Error {}

/** Rejects paths an extractor could be tricked with (absolute, `..`, empty parts, NUL, backslash). */
export function assertArchivePath(path: string): void {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0') || path.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`unsafe archive path: ${JSON.stringify(path)}`);
  }
}

/**
 * Passes content through while hashing it (SHA-256 and CRC-32) and counting; checks the
 * length against what the header announced. Yields the chunks (telling `counted` each
 * one's size, for the writer's offset); returns the digests.
 */
export async function* hashedContent(
  entry: ArchiveEntry,
  content: AsyncIterable<Buffer> | Iterable<Buffer>,
  crc: (chunk: Buffer, previous: number) => number,
  counted: (bytes: number) => void,
): AsyncGenerator<Buffer, { sha256: string; crc32: number }> {
  const sha = createHash('sha256');
  let crc32 = 0;
  let seen = 0;
  for await (const chunk of content) {
    if (chunk.length === 0) continue;
    seen += chunk.length;
    if (seen > entry.size) throw new ArchiveContentError(`${entry.path}: content is longer than the announced ${entry.size} bytes`);
    sha.update(chunk);
    crc32 = crc(chunk, crc32);
    counted(chunk.length);
    yield chunk;
  }
  if (seen !== entry.size) throw new ArchiveContentError(`${entry.path}: content ended after ${seen} of ${entry.size} bytes`);
  return { sha256: sha.digest('hex'), crc32 };
}
