/**
 * WAV headers for 16-bit PCM, including RF64 for recordings past 4 GiB.
 *
 * A RIFF chunk size is 32 bits, so a plain WAV holds at most 0xFFFFFFFF - 36 data bytes
 * (about 74 hours of 8 kHz stereo, 12.4 hours of 48 kHz stereo). Past that the header
 * switches to RF64 (EBU Tech 3306): the 32-bit sizes are set to 0xFFFFFFFF and the real
 * 64-bit sizes live in a `ds64` chunk right after the `WAVE` id. Readers that do not
 * know RF64 reject such files rather than misreading them, which is the point.
 */
import { samplesToPcm16le } from './l16.js';

/** Size in bytes of the fixed-size header from {@link wavHeaderFixed}. */
export const WAV_HEADER_BYTES = 80;

/** Parameters of a 16-bit PCM WAV header. */
export interface WavHeaderParams {
  /** Frames per second. */
  sampleRate: number;
  channels: 1 | 2;
  /** Audio bytes that follow the header: whole frames, channels * 2 bytes each. */
  dataBytes: number;
}

const RIFF_LIMIT = 0xffffffff;
// Layout sizes in bytes: RIFF header 12, ds64/JUNK chunk 8 + 28, fmt chunk 8 + 16, data header 8.
const DS64_BODY_BYTES = 28;
const COMPACT_HEADER_BYTES = 44;

/**
 * Builds a 44-byte WAV header, or an 80-byte RF64 header when dataBytes exceeds what a
 * RIFF size field can describe. Use {@link wavHeaderFixed} to reserve space up front.
 */
export function wavHeader(params: WavHeaderParams): Buffer {
  checkParams(params);
  if (params.dataBytes <= RIFF_LIMIT - (COMPACT_HEADER_BYTES - 8)) {
    const buf = Buffer.alloc(COMPACT_HEADER_BYTES);
    writeRiffPreamble(buf, 'RIFF', COMPACT_HEADER_BYTES - 8 + params.dataBytes);
    writeFmtAndData(buf, 12, params, params.dataBytes);
    return buf;
  }
  return rf64Header(params);
}

/**
 * Builds a header of exactly WAV_HEADER_BYTES (80) for any size, so a writer can reserve
 * it before the audio and overwrite it in place when the length is known. Small files get
 * RIFF with a 28-byte `JUNK` placeholder where RF64 puts its `ds64` chunk (the layout EBU
 * Tech 3306 recommends), so the same 80 bytes can later become RF64.
 * Reserve with dataBytes 0: readers take a 0 data size as "to the end of the file", so a
 * recording whose header was never patched (crash) still reads back in full.
 */
export function wavHeaderFixed(params: WavHeaderParams): Buffer {
  checkParams(params);
  if (params.dataBytes > RIFF_LIMIT - (WAV_HEADER_BYTES - 8)) return rf64Header(params);
  const buf = Buffer.alloc(WAV_HEADER_BYTES); // zero-filled: the JUNK body stays zero
  writeRiffPreamble(buf, 'RIFF', WAV_HEADER_BYTES - 8 + params.dataBytes);
  buf.write('JUNK', 12, 'latin1');
  buf.writeUInt32LE(DS64_BODY_BYTES, 16);
  writeFmtAndData(buf, 12 + 8 + DS64_BODY_BYTES, params, params.dataBytes);
  return buf;
}

/** Encodes interleaved 16-bit samples as a complete WAV file (header + data). */
export function encodeWav(audio: { sampleRate: number; channels: 1 | 2; samples: Int16Array }): Buffer {
  const dataBytes = audio.samples.length * 2;
  const header = wavHeader({ sampleRate: audio.sampleRate, channels: audio.channels, dataBytes });
  const out = Buffer.allocUnsafe(header.length + dataBytes);
  header.copy(out, 0);
  out.set(samplesToPcm16le(audio.samples), header.length);
  return out;
}

function rf64Header(params: WavHeaderParams): Buffer {
  const buf = Buffer.alloc(WAV_HEADER_BYTES);
  writeRiffPreamble(buf, 'RF64', RIFF_LIMIT);
  buf.write('ds64', 12, 'latin1');
  buf.writeUInt32LE(DS64_BODY_BYTES, 16);
  writeUint64(buf, 20, WAV_HEADER_BYTES - 8 + params.dataBytes); // RIFF size
  writeUint64(buf, 28, params.dataBytes); // data size
  writeUint64(buf, 36, params.dataBytes / (params.channels * 2)); // sample (frame) count
  buf.writeUInt32LE(0, 44); // table length: no other oversized chunks
  writeFmtAndData(buf, 48, params, RIFF_LIMIT);
  return buf;
}

function writeRiffPreamble(buf: Buffer, id: 'RIFF' | 'RF64', riffSize: number): void {
  buf.write(id, 0, 'latin1');
  buf.writeUInt32LE(riffSize, 4);
  buf.write('WAVE', 8, 'latin1');
}

function writeFmtAndData(buf: Buffer, at: number, params: WavHeaderParams, dataSizeField: number): void {
  const blockAlign = params.channels * 2;
  buf.write('fmt ', at, 'latin1');
  buf.writeUInt32LE(16, at + 4);
  buf.writeUInt16LE(1, at + 8); // WAVE_FORMAT_PCM
  buf.writeUInt16LE(params.channels, at + 10);
  buf.writeUInt32LE(params.sampleRate, at + 12);
  buf.writeUInt32LE(params.sampleRate * blockAlign, at + 16); // bytes per second
  buf.writeUInt16LE(blockAlign, at + 20);
  buf.writeUInt16LE(16, at + 22); // bits per sample
  buf.write('data', at + 24, 'latin1');
  buf.writeUInt32LE(dataSizeField, at + 28);
}

function writeUint64(buf: Buffer, at: number, value: number): void {
  buf.writeUInt32LE(value >>> 0, at);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), at + 4);
}

function checkParams({ sampleRate, channels, dataBytes }: WavHeaderParams): void {
  if (channels !== 1 && channels !== 2) throw new RangeError(`channels must be 1 or 2, got ${channels}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff / 4) {
    throw new RangeError(`invalid sample rate ${sampleRate}`);
  }
  if (!Number.isSafeInteger(dataBytes) || dataBytes < 0 || dataBytes % (channels * 2) !== 0) {
    throw new RangeError(`dataBytes must be a whole number of ${channels * 2}-byte frames, got ${dataBytes}`);
  }
}
