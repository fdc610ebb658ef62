import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWav, parseWavHeader, WAV_HEADER_BYTES } from '../../../src/media/wav.js';
import { RecordingWriter } from '../../../src/recorder/recording-writer.js';
import { spoolToWav, uploadSpool } from '../../../src/recorder/spool-to-wav.js';
import { LocalDiskBlobStore } from '../../../src/storage/blob/local-disk.js';
import { signal } from './fixtures/signal.js';
import { tempDir } from './fixtures/spool-files.js';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

/** Spools the given channel contents (written from position 0) and returns the directory. */
async function spool(sourceChannels: 1 | 2, outputChannels: 1 | 2, channels: Int16Array[], sampleRate = 8000): Promise<string> {
  const root = tempDir();
  roots.push(root);
  const w = await RecordingWriter.open({ root, recordingId: 'RE1', accountId: 'AC1', sampleRate, sourceChannels, outputChannels });
  channels.forEach((pcm, i) => {
    if (pcm.length > 0) w.write((i + 1) as 1 | 2, 0, pcm);
  });
  await w.close();
  return w.dir;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Renders the spool and decodes it back: header info plus interleaved samples. */
async function render(dir: string) {
  const wav = await spoolToWav(dir);
  const file = await readAll(wav.stream);
  const info = parseWavHeader(file);
  return { wav, file, info, samples: decodeWav(file).samples };
}

/** Sample value a / b at frame i, or 0 past the end. */
const at = (pcm: Int16Array, i: number) => (i < pcm.length ? pcm[i] : 0);

describe('spoolToWav', () => {
  it('interleaves ch1 left and ch2 right, padding the shorter channel with zeros', async () => {
    const left = signal(1, 0, 1000);
    const right = signal(2, 0, 700);
    const { wav, file, info, samples } = await render(await spool(2, 2, [left, right]));
    expect(wav).toMatchObject({ dataBytes: 4000, sampleRate: 8000, channels: 2, durationSamples: 1000 });
    expect(file.length).toBe(WAV_HEADER_BYTES + 4000);
    expect(info).toMatchObject({ container: 'riff', channels: 2, sampleRate: 8000, format: 'pcm16', dataOffset: WAV_HEADER_BYTES, dataBytes: 4000, declaredDataBytes: 4000 });
    for (let i = 0; i < 1000; i++) {
      expect(samples[2 * i]).toBe(left[i]);
      expect(samples[2 * i + 1]).toBe(at(right, i));
    }
  });

  it('interleaves correctly across read chunks (32768 frames) when the left channel is the shorter', async () => {
    const left = signal(1, 0, 70_001);
    const right = signal(2, 0, 100_000);
    const { samples } = await render(await spool(2, 2, [left, right]));
    expect(samples.length).toBe(200_000);
    let mismatches = 0;
    for (let i = 0; i < 100_000; i++) if (samples[2 * i] !== at(left, i) || samples[2 * i + 1] !== right[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('mixes two sources to mono as the floor average, which cannot clip', async () => {
    const a = Int16Array.from([32767, -32768, 32767, 100, -3, 1000, 7]);
    const b = Int16Array.from([32767, -32768, -32768, 101, 0]);
    const { wav, info, samples } = await render(await spool(2, 1, [a, b]));
    expect(wav).toMatchObject({ channels: 1, durationSamples: 7, dataBytes: 14 });
    expect(info.channels).toBe(1);
    // b is shorter: past its end it counts as silence, so a is halved there too.
    expect(Array.from(samples)).toEqual([32767, -32768, -1, 100, -2, 500, 3]);
  });

  it('passes a single source through unchanged as mono', async () => {
    const a = signal(1, 0, 50_000);
    const { samples, info } = await render(await spool(1, 1, [a]));
    expect(info.channels).toBe(1);
    expect(samples).toEqual(a);
  });

  it('puts a single source on the left of a stereo file, with a silent right channel', async () => {
    const a = signal(1, 0, 500);
    const { samples } = await render(await spool(1, 2, [a]));
    for (let i = 0; i < 500; i++) expect([samples[2 * i], samples[2 * i + 1]]).toEqual([a[i], 0]);
  });

  it('treats a missing channel file as silence and ignores a torn trailing byte', async () => {
    const left = signal(1, 0, 300);
    const dir = await spool(2, 2, [left, signal(2, 0, 100)]);
    await fsp.rm(path.join(dir, 'ch2.pcm'));
    await fsp.appendFile(path.join(dir, 'ch1.pcm'), Buffer.from([0x7f])); // half a sample
    const { wav, samples } = await render(dir);
    expect(wav.durationSamples).toBe(300);
    for (let i = 0; i < 300; i++) expect([samples[2 * i], samples[2 * i + 1]]).toEqual([left[i], 0]);
  });

  it('renders a spool without audio as a valid empty WAV', async () => {
    const wav = await spoolToWav(await spool(2, 2, []));
    const file = await readAll(wav.stream);
    const info = parseWavHeader(file);
    expect(wav.dataBytes).toBe(0);
    expect(file.length).toBe(WAV_HEADER_BYTES);
    expect(info.frameCount).toBe(0);
  });
});

describe('spoolToWav past 4 GiB (sparse channel files)', () => {
  /** Spools a little real audio, then extends ch1 (sparse) to `ch1Samples` samples. */
  async function sparseSpool(sourceChannels: 1 | 2, outputChannels: 1 | 2, ch1Samples: number): Promise<{ dir: string; head: Int16Array }> {
    const head = signal(1, 0, 1000);
    const dir = await spool(sourceChannels, outputChannels, [head, signal(2, 0, 10)].slice(0, sourceChannels));
    await fsp.truncate(path.join(dir, 'ch1.pcm'), ch1Samples * 2);
    return { dir, head };
  }

  /** Reads the header and the first data chunk, then abandons the stream. */
  async function headerAndFirstChunk(dir: string) {
    const wav = await spoolToWav(dir);
    const chunks: Buffer[] = [];
    for await (const chunk of wav.stream) {
      chunks.push(chunk as Buffer);
      if (chunks.length === 2) break; // break destroys the stream (and closes the files)
    }
    expect(wav.stream.destroyed).toBe(true);
    return { wav, header: chunks[0], first: chunks[1] };
  }

  it('writes an RF64 header with 64-bit sizes for a stereo recording of 4.4 GB', async () => {
    const frames = 1_100_000_000; // 1.1 G frames x 4 bytes = 4.4 GB of data
    const { dir, head } = await sparseSpool(2, 2, frames);
    const { wav, header, first } = await headerAndFirstChunk(dir);
    const dataBytes = frames * 4;
    expect(wav).toMatchObject({ dataBytes, durationSamples: frames, channels: 2 });
    expect(header.length).toBe(WAV_HEADER_BYTES);
    expect(header.toString('latin1', 0, 4)).toBe('RF64');
    expect(header.readUInt32LE(4)).toBe(0xffffffff);
    expect(header.toString('latin1', 12, 16)).toBe('ds64');
    expect(Number(header.readBigUInt64LE(20))).toBe(WAV_HEADER_BYTES - 8 + dataBytes); // RIFF size
    expect(Number(header.readBigUInt64LE(28))).toBe(dataBytes); // data size
    expect(Number(header.readBigUInt64LE(36))).toBe(frames); // frame count
    const info = parseWavHeader(header, { fileBytes: WAV_HEADER_BYTES + dataBytes });
    expect(info).toMatchObject({ container: 'rf64', channels: 2, dataBytes, frameCount: frames, dataOffset: WAV_HEADER_BYTES });
    // The audio starts right after: real samples on the left, ch2's 10 samples on the right.
    const samples = new Int16Array(first.buffer, first.byteOffset, 2000);
    for (let i = 0; i < 1000; i++) expect([samples[2 * i], samples[2 * i + 1]]).toEqual([head[i], i < 10 ? signal(2, 0, 10)[i] : 0]);
  });

  it('switches from RIFF to RF64 exactly where a RIFF size field overflows (mono)', async () => {
    const lastRiffFrames = (0xffffffff - (WAV_HEADER_BYTES - 8) - 1) / 2; // largest even data size that fits
    const riff = await headerAndFirstChunk((await sparseSpool(1, 1, lastRiffFrames)).dir);
    expect(riff.header.toString('latin1', 0, 4)).toBe('RIFF');
    expect(parseWavHeader(riff.header, { fileBytes: WAV_HEADER_BYTES + riff.wav.dataBytes })).toMatchObject({ container: 'riff', dataBytes: lastRiffFrames * 2 });
    const rf64 = await headerAndFirstChunk((await sparseSpool(1, 1, lastRiffFrames + 1)).dir);
    expect(rf64.header.toString('latin1', 0, 4)).toBe('RF64');
    expect(parseWavHeader(rf64.header, { fileBytes: WAV_HEADER_BYTES + rf64.wav.dataBytes })).toMatchObject({ container: 'rf64', dataBytes: (lastRiffFrames + 1) * 2 });
  });
});

describe('uploadSpool', () => {
  it('stores the WAV in the blob store and reports its size, hash and format', async () => {
    const left = signal(1, 0, 16000);
    const right = signal(2, 0, 12000);
    const dir = await spool(2, 2, [left, right], 16000);
    const blobRoot = tempDir('recorder-blobs-');
    roots.push(blobRoot);
    const blobs = new LocalDiskBlobStore(blobRoot);
    const result = await uploadSpool(dir, blobs, 'recordings/AC1/RE1.wav');
    const stored = fs.readFileSync(path.join(blobRoot, 'recordings/AC1/RE1.wav'));
    expect(result).toEqual({ bytes: WAV_HEADER_BYTES + 16000 * 4, sha256: createHash('sha256').update(stored).digest('hex'), durationSamples: 16000, sampleRate: 16000, channels: 2 });
    const decoded = decodeWav(stored);
    expect(decoded.sampleRate).toBe(16000);
    let mismatches = 0;
    for (let i = 0; i < 16000; i++) if (decoded.samples[2 * i] !== left[i] || decoded.samples[2 * i + 1] !== at(right, i)) mismatches++;
    expect(mismatches).toBe(0);
  });
});
