import { assertArchivePath, hashedContent, type ArchiveEntry, type ArchiveWriter, type WrittenEntry } from './archive-writer.js';
import { crc32 } from './crc32.js';

/** Tar works in blocks of 512 bytes: headers are one block, content is padded to a whole block. */
export const TAR_BLOCK = 512;
/** The largest size an 11-digit octal ustar field holds: 8 GiB - 1. Larger files get a PAX `size` record. */
const MAX_USTAR_SIZE = 0o77777777777;

function octal(value: number, width: number): string {
  // `width` includes the terminating NUL.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One 512-byte ustar header (POSIX.1-1988) with its checksum. */
function ustarHeader(fields: { name: string; prefix: string; size: number; mtime: number; type: '0' | 'x'; mode: number }): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii'); // uid
  block.write(octal(0, 8), 116, 'ascii'); // gid
  block.write(octal(fields.size, 12), 124, 'ascii');
  block.write(octal(fields.mtime, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii'); // checksum is computed with this field as spaces
  block.write(fields.type, 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write('telefonie', 265, 32, 'ascii'); // uname
  block.write('telefonie', 297, 32, 'ascii'); // gname
  block.write(octal(0, 8), 329, 'ascii'); // devmajor
  block.write(octal(0, 8), 337, 'ascii'); // devminor
  block.write(fields.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return block;
}

/** Splits a path into ustar `prefix` (≤155 bytes) and `name` (≤100 bytes) at a slash, or null when it cannot. */
export function splitUstarPath(path: string): { prefix: string; name: string } | null {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) > 155) break;
    if (name && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  return null;
}

/** One PAX record: `"<length> <key>=<value>\n"`, where length counts the whole record, its own digits included. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let digits = String(bodyBytes).length;
  if (String(bodyBytes + digits).length > digits) digits++;
  return `${bodyBytes + digits}${body}`;
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % TAR_BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : TAR_BLOCK - rest);
}

/**
 * The header block(s) of one regular file: plain ustar when the path fits the name/prefix
 * fields in ASCII and the size fits 11 octal digits; otherwise a PAX extended header
 * (`path`, `size`) first, then the ustar header with shortened fallbacks.
 */
export function tarFileHeader(entry: ArchiveEntry): Buffer {
  assertArchivePath(entry.path);
  const mtime = Math.max(0, Math.floor(entry.mtime.getTime() / 1000));
  const ascii = /^[\x20-\x7e]*$/.test(entry.path);
  const split = ascii ? splitUstarPath(entry.path) : null;
  const bigSize = entry.size > MAX_USTAR_SIZE;
  if (split && !bigSize) return ustarHeader({ ...split, size: entry.size, mtime, type: '0', mode: 0o644 });

  let records = '';
  if (!split) records += paxRecord('path', entry.path);
  if (bigSize) records += paxRecord('size', String(entry.size));
  const paxBody = Buffer.from(records, 'utf8');
  const base = entry.path.slice(entry.path.lastIndexOf('/') + 1).replace(/[^\x20-\x7e]/g, '_');
  const fallback = split ?? { prefix: '', name: base.slice(-100) };
  return Buffer.concat([
    ustarHeader({ prefix: '', name: `PaxHeaders/${base}`.slice(0, 100), size: paxBody.length, mtime, type: 'x', mode: 0o644 }),
    paxBody,
    tarPadding(paxBody.length),
    ustarHeader({ ...fallback, size: bigSize ? 0 : entry.size, mtime, type: '0', mode: 0o644 }),
  ]);
}

/** A streaming POSIX tar (ustar, PAX where needed) writer: header, content, padding per file; two zero blocks at the end. */
export class TarWriter implements ArchiveWriter {
  readonly extension = 'tar' as const;
  readonly contentType = 'application/x-tar';
  private written = 0;

  get bytesWritten(): number {
    return this.written;
  }

  async *file(entry: ArchiveEntry, content: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer, WrittenEntry> {
    const offset = this.written;
    const header = tarFileHeader(entry);
    this.written += header.length;
    yield header;
    const digests = yield* hashedContent(entry, content, crc32, (n) => (this.written += n));
    const padding = tarPadding(entry.size);
    if (padding.length) {
      this.written += padding.length;
      yield padding;
    }
    return { path: entry.path, size: entry.size, sha256: digests.sha256, crc32: digests.crc32, offset, mtimeMs: entry.mtime.getTime() };
  }

  async *end(): AsyncGenerator<Buffer, void> {
    const trailer = Buffer.alloc(2 * TAR_BLOCK);
    this.written += trailer.length;
    yield trailer;
  }
}
