// npx tsx bench/mp3-encode.bench.ts [minutes=60]
// Encodes a long 8 kHz stereo, speech-like recording to MP3 the way the finalize job does
// (interleaved PCM streamed through Mp3StreamEncoder in 64 KiB chunks) and prints the speed
// as a multiple of real time, beside baselines measured in the same run on the same PCM:
// interleaving the two legs, writing a WAV into a Buffer, and decoding that WAV back.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interleave } from '../src/media/mix.js';
import { Mp3StreamEncoder } from '../src/media/mp3.js';
import { decodeWav, WAV_HEADER_BYTES, wavHeaderFixed } from '../src/media/wav.js';

const SAMPLE_RATE = 8000;
const CHANNELS = 2;
/** Frames per chunk: 64 KiB of 16-bit stereo, a typical stream read. */
const CHUNK_FRAMES = 16384;
/** Distinct synthetic audio per leg (frames); longer recordings cycle through it. */
const BLOCK_FRAMES = 60 * SAMPLE_RATE;

/** One measured step. */
export interface BenchRow {
  name: string;
  ms: number;
  /** Audio duration divided by processing time. */
  realtimeFactor: number;
  /** Bytes produced. */
  bytes: number;
}

/** Figures of one benchMp3Encode run. */
export interface Mp3BenchResult {
  minutes: number;
  sampleRate: number;
  channels: number;
  bitrateKbps: number;
  /** MP3 encode: wall time in seconds and multiple of real time. */
  seconds: number;
  realtimeFactor: number;
  mp3Bytes: number;
  /** MP3 encode first, then the baselines. */
  rows: BenchRow[];
}

/** Measures MP3 encoding of `minutes` of 8 kHz stereo speech-like audio, with same-run baselines. */
export async function benchMp3Encode(minutes = 60): Promise<Mp3BenchResult> {
  const totalFrames = Math.round(minutes * 60 * SAMPLE_RATE);
  const audioMs = (totalFrames / SAMPLE_RATE) * 1000;
  const caller = speechLike(BLOCK_FRAMES, 1);
  const callee = speechLike(BLOCK_FRAMES, 2);
  const stereoBlock = interleave([caller, callee]);
  const row = (name: string, ms: number, bytes: number): BenchRow => ({ name, ms, realtimeFactor: audioMs / ms, bytes });

  // Warm up the JIT and WASM tiers so the first measured chunk is not the slow one.
  await encodeMp3(stereoBlock, 10 * SAMPLE_RATE);

  // Baseline 1: interleave the two legs chunk by chunk (what the job does before encoding).
  let t = performance.now();
  let interleavedBytes = 0;
  for (let done = 0; done < totalFrames; ) {
    const at = done % BLOCK_FRAMES;
    const n = Math.min(CHUNK_FRAMES, totalFrames - done, BLOCK_FRAMES - at);
    interleavedBytes += interleave([caller.subarray(at, at + n), callee.subarray(at, at + n)]).byteLength;
    done += n;
  }
  const interleaveRow = row('interleave 2 legs (baseline)', performance.now() - t, interleavedBytes);

  // Baseline 2: a WAV file (fixed header + PCM copied in) in one Buffer.
  t = performance.now();
  const wav = Buffer.allocUnsafe(WAV_HEADER_BYTES + totalFrames * CHANNELS * 2);
  wavHeaderFixed({ sampleRate: SAMPLE_RATE, channels: CHANNELS, dataBytes: totalFrames * CHANNELS * 2 }).copy(wav, 0);
  forEachChunk(stereoBlock, totalFrames, (chunk, frameOffset) => {
    wav.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), WAV_HEADER_BYTES + frameOffset * CHANNELS * 2);
  });
  const wavRow = row('WAV header + write to a Buffer (baseline)', performance.now() - t, wav.length);

  // Baseline 3: parse and decode that WAV back to samples.
  t = performance.now();
  const decoded = decodeWav(wav);
  const decodeRow = row('decodeWav of that file (baseline)', performance.now() - t, decoded.samples.byteLength);

  // The figure itself.
  t = performance.now();
  const { bytes, bitrateKbps } = await encodeMp3(stereoBlock, totalFrames);
  const mp3Ms = performance.now() - t;
  const mp3Row = row(`MP3 encode, ${bitrateKbps} kbit/s CBR`, mp3Ms, bytes);

  return {
    minutes,
    sampleRate: SAMPLE_RATE,
    channels: CHANNELS,
    bitrateKbps,
    seconds: mp3Ms / 1000,
    realtimeFactor: mp3Row.realtimeFactor,
    mp3Bytes: bytes,
    rows: [mp3Row, interleaveRow, wavRow, decodeRow],
  };
}

/** Prints the rows as an aligned table. */
export function printMp3Bench(result: Mp3BenchResult): void {
  console.log(
    `${result.minutes} min of ${result.sampleRate / 1000} kHz stereo speech-like PCM, ` +
      `${CHUNK_FRAMES}-frame chunks, node ${process.version}`,
  );
  const head = ['step', 'time', 'x real time', 'output'];
  const lines = result.rows.map((r) => [
    r.name,
    r.ms >= 1000 ? `${(r.ms / 1000).toFixed(2)} s` : `${r.ms.toFixed(1)} ms`,
    `${r.realtimeFactor.toFixed(0)}x`,
    `${(r.bytes / 1e6).toFixed(1)} MB`,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}

async function encodeMp3(stereoBlock: Int16Array, totalFrames: number): Promise<{ bytes: number; bitrateKbps: number }> {
  const encoder = await Mp3StreamEncoder.create({ sampleRate: SAMPLE_RATE, channels: CHANNELS });
  let bytes = 0;
  forEachChunk(stereoBlock, totalFrames, (chunk) => {
    bytes += encoder.encode(chunk).length;
  });
  bytes += encoder.finish().length;
  return { bytes, bitrateKbps: encoder.bitrateKbps };
}

/** Calls `fn` with consecutive interleaved chunks covering `totalFrames`, cycling the block. */
function forEachChunk(block: Int16Array, totalFrames: number, fn: (chunk: Int16Array, frameOffset: number) => void): void {
  const blockFrames = block.length / CHANNELS;
  for (let done = 0; done < totalFrames; ) {
    const at = done % blockFrames;
    const frames = Math.min(CHUNK_FRAMES, totalFrames - done, blockFrames - at);
    fn(block.subarray(at * CHANNELS, (at + frames) * CHANNELS), done);
    done += frames;
  }
}

/**
 * Deterministic conversation-like audio for one leg: talk spurts of 1-4 s separated by
 * pauses (a leg is silent about half the time), voiced speech as a harmonic series on a
 * wandering 90-220 Hz pitch with formant-like weights and a syllable-rate envelope, and a
 * low noise floor. Not speech, but with speech's spectrum and dynamics, which is what
 * LAME's speed depends on (pure tones or silence encode unrealistically fast).
 */
function speechLike(frames: number, seed: number): Int16Array {
  const out = new Int16Array(frames);
  let rng = seed * 2654435761;
  const rand = () => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 0xffffffff;
  };
  const formants = [500, 1500, 2500];
  let phase = 0;
  let i = 0;
  while (i < frames) {
    const talking = rand() < 0.5;
    const length = Math.min(frames - i, Math.round((1 + rand() * 3) * SAMPLE_RATE));
    const basePitch = 90 + rand() * 130;
    for (let k = 0; k < length; k++, i++) {
      const t = k / SAMPLE_RATE;
      let v = (rand() - 0.5) * 60; // noise floor, about -60 dBFS
      if (talking) {
        const pitch = basePitch * (1 + 0.08 * Math.sin(2 * Math.PI * 0.7 * t));
        phase += (2 * Math.PI * pitch) / SAMPLE_RATE;
        const envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * t)) ** 0.5;
        let voiced = 0;
        for (let h = 1; h * pitch < 3600; h++) {
          let weight = 0;
          for (const f of formants) weight += 1 / (1 + ((h * pitch - f) / 150) ** 2);
          voiced += (weight / h ** 0.5) * Math.sin(h * phase);
        }
        v += envelope * voiced * 2500 + (rand() - 0.5) * 800 * envelope; // plus breath noise
      }
      out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
  }
  return out;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const minutes = Number(process.argv[2] ?? 60);
  printMp3Bench(await benchMp3Encode(minutes));
}
