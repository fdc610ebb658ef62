/**
 * MPEG audio frame-header walking: sniffing, validation and duration without decoding.
 *
 * Every frame starts with a 4-byte header that fixes the frame's length in bytes, so a
 * well-formed file is a chain of headers from the first frame to the end (give or take
 * an ID3v2 tag in front and ID3v1/APEv2 tags behind). A chain that breaks is corrupt;
 * one whose last frame runs past the end is truncated.
 *
 * Limits: frame payloads carry no checksum unless the encoder added CRCs (LAME does not
 * by default), so damage inside a payload is undetectable here and by mpg123 alike.
 */
import { MediaError } from './media-error.js';

/** What a walk over an MP3's frame headers tells without decoding. */
export interface Mp3Scan {
  sampleRate: number;
  channels: 1 | 2;
  /** Audio frames (a leading Xing/Info metadata frame is not counted). */
  frames: number;
  /** Total PCM samples per channel the frames hold. */
  samples: number;
  /** Byte offset of the first frame (after any ID3v2 tag). */
  firstFrameOffset: number;
}

/** One decoded frame header. */
export interface FrameHeader {
  /** Frame length in bytes, header included. */
  length: number;
  /** PCM samples per channel in this frame. */
  samples: number;
  sampleRate: number;
  channels: 1 | 2;
  /** 1 for MPEG-1, 2 for MPEG-2, 2.5 for MPEG-2.5. */
  version: 1 | 2 | 2.5;
  /** 1, 2 or 3. */
  layer: 1 | 2 | 3;
}

// Bitrates in kbit/s by [MPEG-1?][layer bits 1..3 = Layer III, II, I][bitrate index].
const BITRATES_V1: Record<number, number[]> = {
  1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], // Layer III
  2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384], // Layer II
  3: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // Layer I
};
const BITRATES_V2: Record<number, number[]> = {
  1: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  3: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
};
// Sample rates by version bits (0 = MPEG-2.5, 2 = MPEG-2, 3 = MPEG-1).
const SAMPLE_RATES: Record<number, number[]> = {
  0: [11025, 12000, 8000],
  2: [22050, 24000, 16000],
  3: [44100, 48000, 32000],
};

/** Decodes the 4-byte frame header at `offset`, or null if it is not a valid one. */
export function readFrameHeader(buf: Uint8Array, offset: number): FrameHeader | null {
  if (offset + 4 > buf.length) return null;
  const b1 = buf[offset + 1];
  const b2 = buf[offset + 2];
  if (buf[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  // Reserved version/layer, free-format (0) or bad (15) bitrate, reserved rate.
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
    return null;
  }
  const kbps = (versionBits === 3 ? BITRATES_V1 : BITRATES_V2)[layerBits][bitrateIndex];
  const sampleRate = SAMPLE_RATES[versionBits][rateIndex];
  const padding = (b2 >> 1) & 1;
  const channels = ((buf[offset + 3] >> 6) & 3) === 3 ? 1 : 2;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  let samples: number;
  let length: number;
  if (layer === 1) {
    samples = 384;
    length = (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4; // 4-byte slots
  } else if (layer === 2 || version === 1) {
    samples = 1152;
    length = Math.floor((144 * kbps * 1000) / sampleRate) + padding;
  } else {
    // Layer III in MPEG-2 / 2.5 carries half as many samples per frame.
    samples = 576;
    length = Math.floor((72 * kbps * 1000) / sampleRate) + padding;
  }
  return { length, samples, sampleRate, channels, version, layer };
}

/** True when the bytes start like an MP3: an ID3v2 tag, or a frame header chained to a second one. */
export function looksLikeMp3(buf: Uint8Array): boolean {
  if (id3v2Size(buf) > 0) return true;
  const first = readFrameHeader(buf, 0);
  return first !== null && (first.length >= buf.length || readFrameHeader(buf, first.length) !== null);
}

/** Same as {@link looksLikeMp3}; the name src/recordings imports. */
export const looksLikeMp3File = looksLikeMp3;

/**
 * Walks every frame header from start to end. A file whose frames do not chain exactly
 * to the end is truncated (`mp3_truncated`: last frame cut short) or corrupt
 * (`mp3_corrupt`: garbage between frames, sample rate changes); both are rejected so a
 * damaged upload never becomes a recording. No frame at all is `audio_unrecognized`,
 * an ID3 tag with nothing after it `audio_empty`.
 */
export function scanMp3(buf: Uint8Array): Mp3Scan {
  const start = id3v2Size(buf);
  if (start > buf.length) throw new MediaError('mp3_truncated', 'MP3 ID3 tag extends past the end of the file');
  const end = buf.length - trailingTagBytes(buf, buf.length);
  let offset = start;
  let frames = 0;
  let samples = 0;
  let first: FrameHeader | null = null;
  while (offset < end) {
    const header = readFrameHeader(buf, offset);
    if (!header) {
      if (first === null) throw new MediaError('audio_unrecognized', 'body is not MP3 audio: no MPEG audio frame found');
      throw new MediaError('mp3_corrupt', `MP3 is corrupt: invalid frame header at byte ${offset}`);
    }
    if (first && header.sampleRate !== first.sampleRate) {
      throw new MediaError('mp3_corrupt', `MP3 is corrupt: sample rate changes at byte ${offset}`);
    }
    if (offset + header.length > end) {
      throw new MediaError(
        'mp3_truncated',
        `MP3 is truncated: last frame needs ${header.length} bytes, ${end - offset} remain`,
      );
    }
    // A Xing/Info frame (LAME's metadata frame) decodes to nothing: do not count it.
    if (!(first === null && isXingFrame(buf, offset, header))) {
      frames++;
      samples += header.samples;
    }
    first ??= header;
    offset += header.length;
  }
  if (!first || frames === 0) throw new MediaError('audio_empty', 'MP3 holds no audio frames');
  return { sampleRate: first.sampleRate, channels: first.channels, frames, samples, firstFrameOffset: start };
}

/** Size of an ID3v2 tag at the start of the buffer, 0 when there is none. */
function id3v2Size(buf: Uint8Array): number {
  if (buf.length < 10 || buf[0] !== 0x49 || buf[1] !== 0x44 || buf[2] !== 0x33) return 0;
  // Tag size is a 28-bit "syncsafe" integer: 7 bits per byte.
  const size = ((buf[6] & 0x7f) << 21) | ((buf[7] & 0x7f) << 14) | ((buf[8] & 0x7f) << 7) | (buf[9] & 0x7f);
  const footer = buf[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/** Bytes of trailing tags (ID3v1 "TAG", APEv2, or both) that follow the last frame. */
function trailingTagBytes(buf: Uint8Array, end: number): number {
  let tags = 0;
  if (end >= 128 && ascii(buf, end - 128, 'TAG')) tags = 128;
  const apeEnd = end - tags;
  if (apeEnd >= 32 && ascii(buf, apeEnd - 32, 'APETAGEX')) {
    const footer = apeEnd - 32;
    // Size (footer offset 12) counts items + footer; flag bit 31 says a 32-byte header precedes.
    const size = (buf[footer + 12] | (buf[footer + 13] << 8) | (buf[footer + 14] << 16) | (buf[footer + 15] << 24)) >>> 0;
    const hasHeader = (buf[footer + 23] & 0x80) !== 0;
    tags += Math.min(apeEnd, size + (hasHeader ? 32 : 0));
  }
  return tags;
}

/** True when a Layer III frame carries a Xing/Info tag after its side information. */
function isXingFrame(buf: Uint8Array, offset: number, header: FrameHeader): boolean {
  if (header.layer !== 3) return false;
  const sideInfo = header.version === 1 ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17;
  const at = offset + 4 + sideInfo;
  return ascii(buf, at, 'Xing') || ascii(buf, at, 'Info');
}

function ascii(buf: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > buf.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}
