import zlib from 'node:zlib';

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip uses it) in plain JavaScript, for Node versions without zlib.crc32. */
function crc32Table(chunk: Buffer, previous: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < chunk.length; i++) crc = table[(crc ^ chunk[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/** Continues a CRC-32 over one more chunk (start with 0). zlib's own when Node has it (20.15+), else a table. */
export const crc32: (chunk: Buffer, previous: number) => number = native ? (chunk, previous) => native(chunk, previous) >>> 0 : crc32Table;

/** The table implementation, exported so tests can compare it with zlib's. */
export const crc32Portable = crc32Table;
