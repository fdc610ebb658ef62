import { assertArchivePath, hashedContent, type ArchiveEntry, type ArchiveWriter, type WrittenEntry } from './archive-writer.js';
import { crc32 } from './crc32.js';

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END = 0x06054b50;
/** Bit 3: sizes and CRC follow the data (we stream); bit 11: names are UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const STORED = 0;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Version made by: Unix (3), spec 4.5. */
const MADE_BY = (3 << 8) | 45;

/** MS-DOS date and time fields (2-second resolution, from 1980), taken in UTC so bundles do not depend on the server's zone. */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(2107, Math.max(1980, d.getUTCFullYear()));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/**
 * A streaming zip writer: every file is stored (no compression: audio does not compress
 * and the bundle's bytes stay the files' bytes), followed by a data descriptor with its
 * CRC-32 and sizes, so nothing is buffered. ZIP64 records are written for files of 4 GiB
 * or more, offsets past 4 GiB and more than 65,535 files.
 */
export class ZipWriter implements ArchiveWriter {
  readonly extension = 'zip' as const;
  readonly contentType = 'application/zip';
  private written = 0;

  /** `forceZip64`: write ZIP64 records for every file and the end (tests use it; readers must cope either way). */
  constructor(private readonly opts: { forceZip64?: boolean } = {}) {}

  get bytesWritten(): number {
    return this.written;
  }

  private zip64Entry(size: number): boolean {
    return Boolean(this.opts.forceZip64) || size >= MAX32;
  }

  async *file(entry: ArchiveEntry, content: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer, WrittenEntry> {
    assertArchivePath(entry.path);
    const offset = this.written;
    const name = Buffer.from(entry.path, 'utf8');
    if (name.length > MAX16) throw new Error(`zip entry name too long: ${entry.path}`);
    const zip64 = this.zip64Entry(entry.size);
    const { time, date } = dosDateTime(entry.mtime);
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      // Sizes are zero here: bit 3 says the data descriptor carries them.
    }
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(STORED, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt32LE(0, 14);
    header.writeUInt32LE(zip64 ? MAX32 : 0, 18);
    header.writeUInt32LE(zip64 ? MAX32 : 0, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extra.length, 28);
    const head = Buffer.concat([header, name, extra]);
    this.written += head.length;
    yield head;

    const { sha256, crc32: crc } = yield* hashedContent(entry, content, crc32, (n) => (this.written += n));
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(entry.size), 8);
      descriptor.writeBigUInt64LE(BigInt(entry.size), 16);
    } else {
      descriptor.writeUInt32LE(entry.size, 8);
      descriptor.writeUInt32LE(entry.size, 12);
    }
    this.written += descriptor.length;
    yield descriptor;
    return { path: entry.path, size: entry.size, sha256, crc32: crc, offset, mtimeMs: entry.mtime.getTime() };
  }

  async *end(entries: AsyncIterable<WrittenEntry>): AsyncGenerator<Buffer, void> {
    const cdOffset = this.written;
    let count = 0;
    for await (const e of entries) {
      count++;
      const name = Buffer.from(e.path, 'utf8');
      const bigSize = this.zip64Entry(e.size);
      const bigOffset = Boolean(this.opts.forceZip64) || e.offset >= MAX32;
      const extraFields: bigint[] = [];
      if (bigSize) extraFields.push(BigInt(e.size), BigInt(e.size));
      if (bigOffset) extraFields.push(BigInt(e.offset));
      const extra = Buffer.alloc(extraFields.length ? 4 + 8 * extraFields.length : 0);
      if (extraFields.length) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(8 * extraFields.length, 2);
        extraFields.forEach((v, i) => extra.writeBigUInt64LE(v, 4 + 8 * i));
      }
      const { time, date } = dosDateTime(new Date(e.mtimeMs));
      const record = Buffer.alloc(46);
      record.writeUInt32LE(CENTRAL_HEADER, 0);
      record.writeUInt16LE(MADE_BY, 4);
      record.writeUInt16LE(bigSize || bigOffset ? 45 : 20, 6);
      record.writeUInt16LE(FLAGS, 8);
      record.writeUInt16LE(STORED, 10);
      record.writeUInt16LE(time, 12);
      record.writeUInt16LE(date, 14);
      record.writeUInt32LE(e.crc32 >>> 0, 16);
      record.writeUInt32LE(bigSize ? MAX32 : e.size, 20);
      record.writeUInt32LE(bigSize ? MAX32 : e.size, 24);
      record.writeUInt16LE(name.length, 28);
      record.writeUInt16LE(extra.length, 30);
      record.writeUInt16LE(0, 32); // comment length
      record.writeUInt16LE(0, 34); // disk number start
      record.writeUInt16LE(0, 36); // internal attributes
      record.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external: a regular file, rw-r--r--
      record.writeUInt32LE(bigOffset ? MAX32 : e.offset, 42);
      const out = Buffer.concat([record, name, extra]);
      this.written += out.length;
      yield out;
    }
    const cdSize = this.written - cdOffset;
    const zip64End = Boolean(this.opts.forceZip64) || count >= MAX16 || cdSize >= MAX32 || cdOffset >= MAX32;
    if (zip64End) {
      const zip64EndOffset = this.written;
      const record = Buffer.alloc(56);
      record.writeUInt32LE(ZIP64_END, 0);
      record.writeBigUInt64LE(44n, 4); // size of the rest of this record
      record.writeUInt16LE(MADE_BY, 12);
      record.writeUInt16LE(45, 14);
      record.writeUInt32LE(0, 16); // this disk
      record.writeUInt32LE(0, 20); // disk with the central directory
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(cdSize), 40);
      record.writeBigUInt64LE(BigInt(cdOffset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(ZIP64_LOCATOR, 0);
      locator.writeUInt32LE(0, 4);
      locator.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
      locator.writeUInt32LE(1, 16); // total disks
      const out = Buffer.concat([record, locator]);
      this.written += out.length;
      yield out;
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END, 0);
    end.writeUInt16LE(0, 4);
    end.writeUInt16LE(0, 6);
    end.writeUInt16LE(zip64End ? MAX16 : count, 8);
    end.writeUInt16LE(zip64End ? MAX16 : count, 10);
    end.writeUInt32LE(zip64End ? MAX32 : cdSize, 12);
    end.writeUInt32LE(zip64End ? MAX32 : cdOffset, 16);
    end.writeUInt16LE(0, 20);
    this.written += end.length;
    yield end;
  }
}
