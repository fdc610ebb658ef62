/**
 * WAV parsing: RIFF/WAVE and RF64 (EBU Tech 3306; BW64 is accepted as its synonym),
 * PCM 16-bit, µ-law and A-law, plain or WAVE_FORMAT_EXTENSIBLE, chunks in any order.
 *
 * Parsing reads only the header bytes and never copies the audio; `decodeWav` makes the
 * one copy (or table-lookup pass) that produces the samples.
 *
 * Length policy, chosen for a recording service whose inputs are uploads, our own
 * crash-recovered spool files and pipes from other tools:
 * - a data size of 0 or 0xFFFFFFFF in a RIFF file (and sox's pipe placeholder 0x7FFFF000
 *   when it overshoots the file) means "the writer never patched the length": the data
 *   runs to the end of the file. Our own writer reserves its header with dataBytes 0, so
 *   a recording whose header was never patched is still readable in full;
 * - otherwise, if the file holds fewer data bytes than declared, a shortfall of up to
 *   one frame (a torn last frame) is ignored, and anything more is `wav_truncated`:
 *   a cut-off upload should be retried, not silently stored shorter. Callers that
 *   prefer salvage (crash recovery) pass `allowTruncated`;
 * - a partial trailing frame is never returned: dataBytes is always whole frames.
 * The RIFF size field is not checked: writers get it wrong too often for it to matter.
 */
import { alawDecode, mulawDecode } from './g711.js';
import { copyPcm16le } from './l16.js';
import { MediaError } from './media-error.js';

/** Sample encodings we decode. */
export type WavSampleFormat = 'pcm16' | 'mulaw' | 'alaw';

/** What the header says, resolved against the file's real length. */
export interface WavInfo {
  format: WavSampleFormat;
  /** Frames per second. */
  sampleRate: number;
  channels: 1 | 2;
  /** 16 for pcm16, 8 for µ-law and A-law. */
  bitsPerSample: 16 | 8;
  /** Bytes per frame (all channels). */
  blockAlign: number;
  /** Byte offset of the first audio byte in the file. */
  dataOffset: number;
  /** Audio bytes present in the file, whole frames only. */
  dataBytes: number;
  frameCount: number;
  container: 'riff' | 'rf64';
  /** Data length the header declares in bytes, or null when the writer left it open. */
  declaredDataBytes: number | null;
}

/** Options for {@link parseWavHeader}. */
export interface ParseWavOptions {
  /** Total file size in bytes when `buf` is only its beginning (e.g. a ranged read). */
  fileBytes?: number;
  /** Return the data actually present instead of throwing `wav_truncated`. */
  allowTruncated?: boolean;
}

/** Decoded WAV audio: interleaved 16-bit samples. */
export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  samples: Int16Array;
}

/** Lowest sample rate (Hz) we accept; below is not a voice recording. */
export const WAV_MIN_SAMPLE_RATE = 4000;
/** Highest sample rate (Hz) we accept. */
export const WAV_MAX_SAMPLE_RATE = 192000;

const FORMAT_PCM = 0x0001;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;
// Bytes 4..15 of every KSDATAFORMAT_SUBTYPE_* GUID whose first 4 bytes are a format tag.
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
// `sox ... -t wav -` writes this data size when it cannot seek back to patch it.
const SOX_PIPE_DATA_SIZE = 0x7ffff000;
const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0003: 'IEEE float',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG layer 3',
};

interface FmtChunk {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/** True when `buf` starts like a WAV file (RIFF/RF64/BW64 ... WAVE). */
export function looksLikeWav(buf: Uint8Array): boolean {
  if (buf.length < 12) return false;
  const id = fourcc(buf, 0);
  return (id === 'RIFF' || id === 'RF64' || id === 'BW64') && fourcc(buf, 8) === 'WAVE';
}

/** Parses a WAV header and locates its audio without copying it; throws MediaError. */
export function parseWavHeader(buf: Uint8Array, options: ParseWavOptions = {}): WavInfo {
  const fileBytes = options.fileBytes ?? buf.length;
  if (fileBytes < buf.length) throw new RangeError('fileBytes is smaller than the buffer');
  if (buf.length < 12) {
    const riff = [0x52, 0x49, 0x46, 0x46];
    const isPrefix = buf.length > 0 && buf.every((b, i) => i >= 4 || b === riff[i]);
    if (isPrefix) throw new MediaError('wav_truncated', `WAV file ends after ${buf.length} bytes`);
    throw new MediaError('audio_unrecognized', 'not a WAV file (no RIFF/WAVE header)');
  }
  if (!looksLikeWav(buf)) {
    throw new MediaError('audio_unrecognized', 'not a WAV file (no RIFF/WAVE header)');
  }
  const container = fourcc(buf, 0) === 'RIFF' ? 'riff' : 'rf64';
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const isPrefix = fileBytes > buf.length;

  let ds64DataBytes: number | null = null;
  let fmt: FmtChunk | null = null;
  let dataOffset = -1;
  let rawDataSize = 0;
  let declared: number | null = null;
  let pos = 12;
  while (fmt === null || dataOffset < 0) {
    if (pos + 8 > buf.length) {
      const missing = fmt === null ? "'fmt '" : "'data'";
      throw new MediaError(
        'wav_truncated',
        isPrefix
          ? `WAV header continues past the ${buf.length} bytes given (no ${missing} chunk yet)`
          : `WAV file ends at byte ${buf.length} without a ${missing} chunk`,
      );
    }
    const id = fourcc(buf, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    let next = body + size + (size & 1); // chunks are padded to an even length
    if (id === 'ds64' && container === 'rf64') {
      if (size < 28) throw new MediaError('wav_corrupt', `ds64 chunk is ${size} bytes, need 28`);
      requireBytes(buf, body + 28, 'ds64 chunk');
      ds64DataBytes = readUint64(view, body + 8);
    } else if (id === 'fmt ' && fmt === null) {
      fmt = parseFmt(buf, view, body, size);
    } else if (id === 'data') {
      dataOffset = body;
      rawDataSize = size;
      if (container === 'rf64' && size === 0xffffffff) {
        if (ds64DataBytes === null) {
          throw new MediaError('wav_corrupt', 'RF64 data chunk without a preceding ds64 chunk');
        }
        declared = ds64DataBytes;
      } else if (size === 0 || size === 0xffffffff) {
        declared = null; // streamed writer: runs to the end of the file
      } else {
        declared = size;
      }
      if (fmt === null) {
        // fmt comes after the audio: skip over it, which needs its length.
        if (declared === null) {
          throw new MediaError('wav_corrupt', "open-ended data chunk before the 'fmt ' chunk");
        }
        next = body + declared + (declared % 2);
      }
    }
    pos = next;
  }

  const blockAlign = fmt.blockAlign;
  const available = Math.max(0, fileBytes - dataOffset);
  let dataBytes: number;
  if (declared === null) {
    dataBytes = available;
  } else if (declared <= available) {
    dataBytes = declared;
  } else if (rawDataSize === SOX_PIPE_DATA_SIZE && container === 'riff') {
    declared = null;
    dataBytes = available;
  } else if (declared - available <= blockAlign || options.allowTruncated) {
    dataBytes = available;
  } else {
    throw new MediaError(
      'wav_truncated',
      `WAV data chunk declares ${declared} bytes but the file holds ${available}`,
    );
  }
  const frameCount = Math.floor(dataBytes / blockAlign);
  return {
    format: fmt.formatTag === FORMAT_PCM ? 'pcm16' : fmt.formatTag === FORMAT_MULAW ? 'mulaw' : 'alaw',
    sampleRate: fmt.sampleRate,
    channels: fmt.channels as 1 | 2,
    bitsPerSample: fmt.bitsPerSample as 16 | 8,
    blockAlign,
    dataOffset,
    dataBytes: frameCount * blockAlign,
    frameCount,
    container,
    declaredDataBytes: declared,
  };
}

/** Decodes a whole WAV file to interleaved 16-bit samples; throws MediaError. */
export function decodeWav(buf: Uint8Array, options: Omit<ParseWavOptions, 'fileBytes'> = {}): DecodedAudio {
  const info = parseWavHeader(buf, options);
  if (info.frameCount === 0) throw new MediaError('audio_empty', 'WAV file holds no audio frames');
  const data = buf.subarray(info.dataOffset, info.dataOffset + info.dataBytes);
  let samples: Int16Array;
  if (info.format === 'pcm16') samples = copyPcm16le(data);
  else if (info.format === 'mulaw') samples = mulawDecode(data);
  else samples = alawDecode(data);
  return { sampleRate: info.sampleRate, channels: info.channels, samples };
}

function parseFmt(buf: Uint8Array, view: DataView, body: number, size: number): FmtChunk {
  if (size < 16) throw new MediaError('wav_corrupt', `'fmt ' chunk is ${size} bytes, need at least 16`);
  requireBytes(buf, body + 16, "'fmt ' chunk");
  let formatTag = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const blockAlign = view.getUint16(body + 12, true);
  const bitsPerSample = view.getUint16(body + 14, true);

  if (formatTag === FORMAT_EXTENSIBLE) {
    if (size < 40) {
      throw new MediaError('wav_corrupt', `WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is ${size} bytes, need 40`);
    }
    requireBytes(buf, body + 40, "'fmt ' chunk");
    const validBits = view.getUint16(body + 18, true);
    if (validBits > bitsPerSample) {
      throw new MediaError('wav_corrupt', `${validBits} valid bits in a ${bitsPerSample}-bit container`);
    }
    // The sub-format GUID's first 4 bytes carry the real format tag.
    const subtype = view.getUint32(body + 24, true);
    const knownGuid = subtype <= 0xffff && SUBTYPE_GUID_TAIL.every((b, i) => buf[body + 28 + i] === b);
    if (!knownGuid) {
      throw new MediaError('wav_unsupported_format', 'WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID');
    }
    formatTag = subtype;
  }

  if (channels === 0) throw new MediaError('wav_corrupt', 'WAV header declares 0 channels');
  if (sampleRate === 0) throw new MediaError('wav_corrupt', 'WAV header declares a sample rate of 0');
  const supported =
    (formatTag === FORMAT_PCM && bitsPerSample === 16) ||
    ((formatTag === FORMAT_MULAW || formatTag === FORMAT_ALAW) && bitsPerSample === 8);
  if (!supported) {
    const name =
      formatTag === FORMAT_PCM
        ? `${bitsPerSample}-bit PCM`
        : formatTag === FORMAT_MULAW || formatTag === FORMAT_ALAW
          ? `${bitsPerSample}-bit G.711`
          : (FORMAT_NAMES[formatTag] ?? `format tag 0x${formatTag.toString(16).padStart(4, '0')}`);
    throw new MediaError('wav_unsupported_format', `unsupported WAV encoding: ${name} (need 16-bit PCM, µ-law or A-law)`);
  }
  if (channels > 2) {
    throw new MediaError('wav_unsupported_format', `${channels}-channel WAV is not supported (1 or 2 channels)`);
  }
  if (sampleRate < WAV_MIN_SAMPLE_RATE || sampleRate > WAV_MAX_SAMPLE_RATE) {
    throw new MediaError(
      'wav_unsupported_format',
      `sample rate ${sampleRate} Hz is outside ${WAV_MIN_SAMPLE_RATE}..${WAV_MAX_SAMPLE_RATE} Hz`,
    );
  }
  const expectedAlign = (channels * bitsPerSample) / 8;
  if (blockAlign !== expectedAlign) {
    throw new MediaError(
      'wav_corrupt',
      `block align is ${blockAlign} bytes but ${channels} x ${bitsPerSample}-bit needs ${expectedAlign}`,
    );
  }
  return { formatTag, channels, sampleRate, blockAlign, bitsPerSample };
}

function requireBytes(buf: Uint8Array, end: number, what: string): void {
  if (end > buf.length) throw new MediaError('wav_truncated', `WAV file ends inside the ${what}`);
}

function fourcc(buf: Uint8Array, at: number): string {
  return String.fromCharCode(buf[at], buf[at + 1], buf[at + 2], buf[at + 3]);
}

/** Reads a little-endian unsigned 64-bit value; exact up to 2^53 (8 PiB), plenty for audio. */
function readUint64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 0x1_0000_0000;
}
