/**
 * Turns a spool directory (layout in spool.ts) into the final WAV, as a stream: the data
 * size is known up front from the channel file sizes, so the 80-byte header is final
 * (RF64 past 4 GiB) and the whole file never sits in memory, whatever the call length.
 *
 * Channel layout of the output:
 * - outputChannels 2: ch1 left, ch2 right; the shorter (or a missing) channel is padded
 *   with zeros to the longer one's length.
 * - outputChannels 1 from two sources: the average of the two, (a + b) >> 1, the rule of
 *   `downmixToMono` in media/mix.ts: it can never clip, at the price of each party being
 *   6 dB quieter than in its own channel. Used for every mono mix, so a recording mixed
 *   live or at finalize sounds the same.
 * - outputChannels 1 from one source: ch1 unchanged.
 */
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobStore, PutResult } from '../storage/blob/blob-store.js';
import { WAV_HEADER_BYTES, wavHeaderFixed } from '../media/wav.js';
import { interleave } from '../media/mix.js';
import { channelFile, readSpoolMeta, type SpoolMeta } from './spool.js';

export { readSpoolMeta } from './spool.js';

/** Frames per chunk read from each channel file: 64 KB of one 16-bit channel. */
const CHUNK_FRAMES = 32 * 1024;

/** A spool rendered as WAV, before any audio has been read. */
export interface SpoolWav {
  /** Header then audio: exactly WAV_HEADER_BYTES + dataBytes bytes. */
  stream: Readable;
  /** Audio bytes after the header (all channels). */
  dataBytes: number;
  /** Frames per second. */
  sampleRate: number;
  channels: 1 | 2;
  /** Frames in the file (samples per channel). */
  durationSamples: number;
  meta: SpoolMeta;
}

/** What {@link uploadSpool} stored. */
export interface UploadedSpool {
  /** Size of the stored WAV, header included. */
  bytes: number;
  /** SHA-256 of the stored WAV, hex. */
  sha256: string;
  durationSamples: number;
  sampleRate: number;
  channels: 1 | 2;
}

/** Renders a spool directory as a WAV stream; reads meta.json and file sizes now, the audio as the stream is consumed. */
export async function spoolToWav(dir: string): Promise<SpoolWav> {
  const meta = await readSpoolMeta(dir);
  const channels = meta.outputChannels;
  // Stereo always reads two inputs; a channel the spool lacks is an empty (all-zero) one.
  const inputs = Math.max(channels, meta.sourceChannels);
  const lengths: number[] = [];
  for (let ch = 1; ch <= inputs; ch++) lengths.push(ch <= meta.sourceChannels ? await channelSamples(dir, ch as 1 | 2) : 0);
  const frames = Math.max(...lengths);
  const dataBytes = frames * channels * 2;
  const header = wavHeaderFixed({ sampleRate: meta.sampleRate, channels, dataBytes });
  const stream = Readable.from(wavChunks(dir, header, lengths, frames, channels), {
    objectMode: false,
    // One chunk of read-ahead: enough to overlap disk and consumer, not a file's worth.
    highWaterMark: CHUNK_FRAMES * 2 * channels,
  });
  return { stream, dataBytes, sampleRate: meta.sampleRate, channels, durationSamples: frames, meta };
}

/** Renders a spool as WAV and stores it under `key`; checks that exactly the announced bytes were stored. */
export async function uploadSpool(dir: string, blobs: BlobStore, key: string): Promise<UploadedSpool> {
  const wav = await spoolToWav(dir);
  let put: PutResult;
  try {
    put = await blobs.put(key, wav.stream, { contentType: 'audio/wav' });
  } finally {
    wav.stream.destroy(); // closes the channel files if the store stopped reading early
  }
  const expected = WAV_HEADER_BYTES + wav.dataBytes;
  if (put.size !== expected) {
    await blobs.delete(key);
    throw new Error(`stored ${put.size} bytes for ${key}, expected ${expected}`);
  }
  return { bytes: put.size, sha256: put.sha256, durationSamples: wav.durationSamples, sampleRate: wav.sampleRate, channels: wav.channels };
}

/** Whole samples in a channel file; a trailing odd byte (a write torn by a crash) does not count. */
async function channelSamples(dir: string, channel: 1 | 2): Promise<number> {
  try {
    return Math.floor((await fsp.stat(channelFile(dir, channel))).size / 2);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

async function* wavChunks(dir: string, header: Buffer, lengths: number[], frames: number, channels: 1 | 2): AsyncGenerator<Buffer> {
  yield header;
  if (frames === 0) return;
  const handles = await Promise.all(lengths.map((len, i) => (len > 0 ? fsp.open(channelFile(dir, (i + 1) as 1 | 2), 'r') : null)));
  try {
    const inputs = lengths.map(() => new Int16Array(CHUNK_FRAMES));
    for (let at = 0; at < frames; at += CHUNK_FRAMES) {
      const n = Math.min(CHUNK_FRAMES, frames - at);
      for (let i = 0; i < inputs.length; i++) await readSamples(handles[i], inputs[i], at, n, lengths[i]);
      const out = mixChunk(inputs, n, channels);
      yield Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }
  } finally {
    await Promise.allSettled(handles.map((h) => h?.close()));
  }
}

/**
 * Fills target[0, n) with the channel's samples from position `at`, zeros past its end.
 * Never returns fewer samples than asked: the header already announced them, so a file
 * that shrank underneath (it should not) yields silence rather than a corrupt WAV.
 */
async function readSamples(handle: fsp.FileHandle | null, target: Int16Array, at: number, n: number, length: number): Promise<void> {
  const want = Math.max(0, Math.min(n, length - at));
  const bytes = new Uint8Array(target.buffer, target.byteOffset, want * 2);
  let got = 0;
  while (handle !== null && got < bytes.length) {
    const { bytesRead } = await handle.read(bytes, got, bytes.length - got, at * 2 + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  // Spool files are little-endian, which is host order on every platform Node runs on.
  target.fill(0, got >> 1, n);
}

/** Builds one output chunk of n frames from the per-channel inputs. */
function mixChunk(inputs: Int16Array[], n: number, channels: 1 | 2): Int16Array {
  if (channels === 2) return interleave([inputs[0].subarray(0, n), inputs[1].subarray(0, n)]);
  if (inputs.length === 1) return inputs[0].slice(0, n);
  const a = inputs[0];
  const b = inputs[1];
  const out = new Int16Array(n);
  // Same floor average as downmixToMono (media/mix.ts), without building the interleaved copy it takes.
  for (let i = 0; i < n; i++) out[i] = (a[i] + b[i]) >> 1;
  return out;
}
