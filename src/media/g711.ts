/**
 * ITU-T G.711 µ-law (PCMU) and A-law (PCMA) codecs, 8 bits per sample.
 *
 * Everything is a table lookup: decoding uses a 256-entry table per law and encoding a
 * 65536-entry table indexed by the 16-bit sample's bit pattern (64 KiB per law, built
 * once at module load in ~1 ms). That costs one memory read per sample, which matters
 * because these run per RTP packet for every live call.
 *
 * Decoded values are the classic 16-bit ones (Sun g711.c / ITU-T G.191): µ-law spans
 * ±32124, A-law ±32256. Encoding follows the ITU-T G.191 reference, which takes the
 * one's complement of negative samples, so -1 encodes to the "negative zero" code
 * rather than a -8 step.
 */

const MULAW_DECODE = buildMulawDecodeTable();
const ALAW_DECODE = buildAlawDecodeTable();
const MULAW_ENCODE = buildEncodeTable(linearToMulaw);
const ALAW_ENCODE = buildEncodeTable(linearToAlaw);

/** Decodes µ-law bytes to 16-bit PCM (one sample per byte); writes into `out` when given. */
export function mulawDecode(bytes: Uint8Array, out?: Int16Array): Int16Array {
  return decodeWith(MULAW_DECODE, bytes, out);
}

/** Decodes A-law bytes to 16-bit PCM (one sample per byte); writes into `out` when given. */
export function alawDecode(bytes: Uint8Array, out?: Int16Array): Int16Array {
  return decodeWith(ALAW_DECODE, bytes, out);
}

/** Encodes 16-bit PCM to µ-law bytes (one byte per sample). */
export function mulawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  return encodeWith(MULAW_ENCODE, pcm, out);
}

/** Encodes 16-bit PCM to A-law bytes (one byte per sample). */
export function alawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  return encodeWith(ALAW_ENCODE, pcm, out);
}

function decodeWith(table: Int16Array, bytes: Uint8Array, out?: Int16Array): Int16Array {
  const n = bytes.length;
  const dst = out ?? new Int16Array(n);
  if (dst.length < n) throw new RangeError(`output holds ${dst.length} samples, need ${n}`);
  for (let i = 0; i < n; i++) dst[i] = table[bytes[i]];
  return dst.length === n ? dst : dst.subarray(0, n);
}

function encodeWith(table: Uint8Array, pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = out ?? new Uint8Array(n);
  if (dst.length < n) throw new RangeError(`output holds ${dst.length} bytes, need ${n}`);
  // `& 0xffff` maps -32768..32767 onto table indices 0..65535 without a branch.
  for (let i = 0; i < n; i++) dst[i] = table[pcm[i] & 0xffff];
  return dst.length === n ? dst : dst.subarray(0, n);
}

function buildMulawDecodeTable(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const u = ~code & 0xff; // codes are transmitted inverted
    const exponent = (u >> 4) & 7;
    const mantissa = u & 0x0f;
    // 0x84 (132) is the µ-law bias: magnitude = ((mantissa << 3) + 132) << exponent - 132.
    const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    table[code] = u & 0x80 ? -magnitude : magnitude;
  }
  return table;
}

function buildAlawDecodeTable(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const a = code ^ 0x55; // even bits are transmitted inverted
    const exponent = (a >> 4) & 7;
    let magnitude = ((a & 0x0f) << 4) + 8; // +8: reconstruct at the middle of the step
    if (exponent > 0) magnitude = (magnitude + 0x100) << (exponent - 1);
    table[code] = a & 0x80 ? magnitude : -magnitude;
  }
  return table;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let s = -32768; s <= 32767; s++) table[s & 0xffff] = encode(s);
  return table;
}

/** ITU-T G.191 µ-law compression of one 16-bit sample (used to build the table only). */
function linearToMulaw(sample: number): number {
  // 14-bit magnitude plus the bias of 33 (132 >> 2); one's complement for negatives.
  let mag = (sample < 0 ? ~sample : sample) >> 2;
  mag += 33;
  if (mag > 0x1fff) mag = 0x1fff;
  let segment = 1;
  for (let i = mag >> 6; i !== 0; i >>= 1) segment++;
  const high = 8 - segment;
  const low = 0x0f - ((mag >> segment) & 0x0f);
  const code = (high << 4) | low;
  return sample >= 0 ? code | 0x80 : code;
}

/** ITU-T G.191 A-law compression of one 16-bit sample (used to build the table only). */
function linearToAlaw(sample: number): number {
  // 12-bit magnitude (0..2047); one's complement for negatives.
  let ix = (sample < 0 ? ~sample : sample) >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 31) {
      ix >>= 1;
      exponent++;
    }
    ix = ix - 16 + (exponent << 4);
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}
