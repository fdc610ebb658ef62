/**
 * MP3 encoding (LAME via wasm-media-encoders) and decoding (mpg123 via mpg123-decoder),
 * in-process, constant bitrate, output sample rate = input sample rate.
 *
 * MP3 only carries 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 and 48000 Hz;
 * callers resample other rates first (see resample.ts). LAME's encoder delay is not
 * trimmed: this WASM build does not expose the LAME/Info tag that tells decoders to
 * skip it, so a decoded file is up to ~2 frames (about 1105 samples of lead-in plus
 * padding to a whole frame) longer than what was encoded.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { MPEGDecoder } from 'mpg123-decoder';
import { createEncoder, createMp3Encoder, type WasmMediaEncoder } from 'wasm-media-encoders';
import { MediaError } from './media-error.js';
import { looksLikeMp3, scanMp3 } from './mp3-frames.js';

export { looksLikeMp3 } from './mp3-frames.js';

/** Sample rates (Hz) an MP3 stream can carry. */
export const MP3_SAMPLE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** Options for {@link Mp3StreamEncoder.create}. */
export interface Mp3EncoderOptions {
  /** Input and output rate in Hz; one of MP3_SAMPLE_RATES. */
  sampleRate: number;
  channels: 1 | 2;
  /** Constant bitrate in kbit/s; defaults by rate and channels (see defaultMp3Bitrate). */
  bitrateKbps?: number;
}

/** Decoded MP3 audio: interleaved 16-bit samples. */
export interface DecodedMp3 {
  sampleRate: number;
  channels: 1 | 2;
  samples: Int16Array;
}

type Mp3Encoder = WasmMediaEncoder<'audio/mpeg'>;
type Mp3Config = Parameters<Mp3Encoder['configure']>[0];

// MPEG-1 (32-48 kHz) and MPEG-2/2.5 (8-24 kHz) allow different CBR sets; these are the
// ones both the standard and wasm-media-encoders accept (it lacks 56 and 144).
const MPEG1_BITRATES = [32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_BITRATES = [8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160];
// Default kbit/s [mono, stereo]: voice-grade at telephone rates, transparent-ish above.
const DEFAULT_BITRATES: Record<number, [number, number]> = {
  8000: [16, 32],
  11025: [24, 40],
  12000: [24, 40],
  16000: [32, 48],
  22050: [40, 64],
  24000: [40, 64],
  32000: [48, 96],
  44100: [64, 128],
  48000: [64, 128],
};
/** Frames handed to LAME per call, so WASM memory stays small whatever the caller passes. */
const ENCODE_BLOCK_FRAMES = 1152 * 64;

/** Default constant bitrate (kbit/s) for a rate and channel count. */
export function defaultMp3Bitrate(sampleRate: number, channels: 1 | 2): number {
  const pair = DEFAULT_BITRATES[sampleRate];
  if (!pair) throw unsupportedRate(sampleRate);
  return pair[channels - 1];
}

/**
 * Streaming MP3 encoder. Feed interleaved 16-bit PCM in chunks of any size, then call
 * finish() once. Each encoder owns its own LAME instance, so many can run concurrently.
 */
export class Mp3StreamEncoder {
  private finished = false;
  private planes: Float32Array[];

  private constructor(
    private readonly lame: Mp3Encoder,
    readonly sampleRate: number,
    readonly channels: 1 | 2,
    readonly bitrateKbps: number,
  ) {
    this.planes = [];
    for (let c = 0; c < channels; c++) this.planes.push(new Float32Array(0));
  }

  /** Creates a configured encoder; throws MediaError('mp3_unsupported_format') for impossible settings. */
  static async create(options: Mp3EncoderOptions): Promise<Mp3StreamEncoder> {
    const { sampleRate, channels } = options;
    if (channels !== 1 && channels !== 2) {
      throw new MediaError('mp3_unsupported_format', `MP3 carries 1 or 2 channels, not ${channels}`);
    }
    if (!MP3_SAMPLE_RATES.includes(sampleRate)) throw unsupportedRate(sampleRate);
    const kbps = options.bitrateKbps ?? defaultMp3Bitrate(sampleRate, channels);
    const allowed = sampleRate >= 32000 ? MPEG1_BITRATES : MPEG2_BITRATES;
    if (!allowed.includes(kbps)) {
      throw new MediaError(
        'mp3_unsupported_format',
        `${kbps} kbit/s is not an MP3 bitrate at ${sampleRate} Hz; use one of ${allowed.join(', ')}`,
      );
    }
    const lame = await newLameEncoder();
    // outputSampleRate pins the rate: left alone, LAME resamples low bitrates down.
    lame.configure({ sampleRate, channels, bitrate: kbps, outputSampleRate: sampleRate } as Mp3Config);
    return new Mp3StreamEncoder(lame, sampleRate, channels, kbps);
  }

  /** Encodes interleaved samples; returns the MP3 bytes ready so far (a copy, possibly empty). */
  encode(interleaved: Int16Array): Uint8Array {
    if (this.finished) throw new Error('Mp3StreamEncoder.encode() called after finish()');
    const ch = this.channels;
    if (interleaved.length % ch !== 0) {
      throw new RangeError(`${interleaved.length} samples is not a whole number of ${ch}-channel frames`);
    }
    const frames = interleaved.length / ch;
    if (frames <= ENCODE_BLOCK_FRAMES) return this.encodeBlock(interleaved, 0, frames);
    const parts: Uint8Array[] = [];
    for (let f = 0; f < frames; f += ENCODE_BLOCK_FRAMES) {
      parts.push(this.encodeBlock(interleaved, f, Math.min(ENCODE_BLOCK_FRAMES, frames - f)));
    }
    return concat(parts);
  }

  /** Flushes the encoder and returns the last MP3 bytes (a copy); the encoder is then spent. */
  finish(): Uint8Array {
    if (this.finished) throw new Error('Mp3StreamEncoder.finish() called twice');
    this.finished = true;
    return this.lame.finalize().slice();
  }

  private encodeBlock(interleaved: Int16Array, firstFrame: number, frames: number): Uint8Array {
    if (frames === 0) return new Uint8Array(0);
    if (this.planes[0].length < frames) {
      this.planes = this.planes.map(() => new Float32Array(Math.max(frames, 1152)));
    }
    const ch = this.channels;
    const scale = 1 / 32768;
    for (let c = 0; c < ch; c++) {
      const plane = this.planes[c];
      for (let i = 0, s = firstFrame * ch + c; i < frames; i++, s += ch) plane[i] = interleaved[s] * scale;
    }
    const views = this.planes.map((p) => (p.length === frames ? p : p.subarray(0, frames)));
    // The returned bytes live in WASM memory and are overwritten by the next call: copy.
    return this.lame.encode(views).slice();
  }
}

/**
 * Decodes a whole MP3 file to interleaved 16-bit samples. Throws MediaError:
 * `audio_unrecognized` (not MP3), `audio_empty`, `mp3_truncated` or `mp3_corrupt`.
 */
export async function decodeMp3(buf: Uint8Array): Promise<DecodedMp3> {
  if (!looksLikeMp3(buf)) throw new MediaError('audio_unrecognized', 'not an MP3 file (no ID3 tag or MPEG frame sync)');
  // The frame walk rejects truncation and broken frame chains that mpg123 would skip silently.
  const scan = scanMp3(buf);
  const decoder = new MPEGDecoder();
  await decoder.ready;
  let decoded: ReturnType<MPEGDecoder['decode']>;
  try {
    decoded = decodeQuietly(decoder, buf);
  } finally {
    decoder.free();
  }
  if (decoded.errors.length > 0) {
    throw new MediaError('mp3_corrupt', `MP3 does not decode: ${decoded.errors[0].message}`);
  }
  if (decoded.samplesDecoded === 0) throw new MediaError('mp3_corrupt', 'MP3 frames decode to no audio');
  if (decoded.sampleRate !== scan.sampleRate) {
    throw new MediaError('mp3_corrupt', `MP3 decodes at ${decoded.sampleRate} Hz but its headers say ${scan.sampleRate} Hz`);
  }
  const ch = scan.channels; // mpg123 always returns two planes, a mono file's duplicated
  const n = decoded.samplesDecoded;
  const samples = new Int16Array(n * ch);
  for (let c = 0; c < ch; c++) {
    const plane = decoded.channelData[c];
    for (let i = 0, o = c; i < n; i++, o += ch) {
      const v = Math.round(plane[i] * 32768);
      samples[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
  return { sampleRate: decoded.sampleRate, channels: ch, samples };
}

/**
 * mpg123-decoder prints every frame error with console.error; on an uploaded file with
 * thousands of bad frames that floods the service log with attacker-chosen bytes. The
 * errors also come back in the result, so silence the logger for the call. decode() is
 * synchronous, so no other code can run (and lose its logging) meanwhile.
 */
function decodeQuietly(decoder: MPEGDecoder, buf: Uint8Array): ReturnType<MPEGDecoder['decode']> {
  const original = console.error;
  console.error = () => {};
  try {
    return decoder.decode(buf);
  } finally {
    console.error = original;
  }
}

// The LAME binary compiled once per process. wasm-media-encoders' createMp3Encoder()
// decodes and compiles its inlined 130 KiB binary on every call (5-15 ms); its public
// createEncoder() takes a compiled module instead. Reading the .wasm shipped in the
// package is loading code (like an import), not media I/O.
type WasmInput = Parameters<typeof createEncoder>[1]; // here: a compiled WebAssembly.Module
let lameModule: Promise<WasmInput | null> | undefined;
// Typed locally: with only @types/node, TypeScript has no WebAssembly global (it is in lib.dom).
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmInput> } })
  .WebAssembly;

async function newLameEncoder(): Promise<Mp3Encoder> {
  lameModule ??= compileLame();
  const module = await lameModule;
  return module ? createEncoder('audio/mpeg', module) : createMp3Encoder();
}

async function compileLame(): Promise<WasmInput | null> {
  try {
    const path = createRequire(import.meta.url).resolve('wasm-media-encoders/wasm/mp3');
    return await wasmApi.compile(await readFile(path));
  } catch {
    return null; // e.g. bundled without the .wasm file: fall back to the inlined copy
  }
}

function unsupportedRate(sampleRate: number): MediaError {
  return new MediaError(
    'mp3_unsupported_format',
    `MP3 cannot carry ${sampleRate} Hz; resample to one of ${MP3_SAMPLE_RATES.join(', ')}`,
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
