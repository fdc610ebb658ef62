// The product promise: after `kill -9` and a restart, a recording that was in progress is
// recovered with all audio spooled before the crash, and no spool files remain.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWav } from '../../../src/media/wav.js';
import { findSpooledRecordings, removeSpool, type SpooledRecording } from '../../../src/recorder/spool-recovery.js';
import { uploadSpool } from '../../../src/recorder/spool-to-wav.js';
import { LocalDiskBlobStore } from '../../../src/storage/blob/local-disk.js';
import { startFixture } from './fixtures/child-process.js';
import { FRAME, isLostFrame, sampleAt } from './fixtures/signal.js';
import { readChannel, tempDir, waitFor } from './fixtures/spool-files.js';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

/** What the crash child writes on `channel` at `pos`: its signal, or zeros in a lost frame. */
function expected(channel: 1 | 2, pos: number): number {
  return isLostFrame(channel, Math.floor(pos / FRAME)) ? 0 : sampleAt(channel, pos);
}

/** Index of the first sample that differs from `expected`, or -1. */
function firstMismatch(channel: 1 | 2, pcm: Int16Array): number {
  for (let i = 0; i < pcm.length; i++) if (pcm[i] !== expected(channel, i)) return i;
  return -1;
}

describe.skipIf(process.platform === 'win32')('crash recovery after SIGKILL', () => {
  it('keeps every sample flushed before the kill and finalizes it to a valid WAV', async () => {
    const root = tempDir('recorder-crash-');
    const blobRoot = tempDir('recorder-crash-blobs-');
    roots.push(root, blobRoot);
    const child = startFixture('spool-crash-child.ts', [root, 'RE-crash']);
    const flushedLines = () => child.lines.filter((l) => l.startsWith('flushed '));
    const enough = await waitFor(() => flushedLines().length >= 6 || child.process.exitCode !== null, 20_000);
    child.process.kill('SIGKILL');
    const exit = await child.exited;
    expect(enough, `child output: ${child.lines.join(' | ')}`).toBe(true);
    expect(exit.signal).toBe('SIGKILL');
    const [ch1Reported, ch2Reported] = flushedLines().at(-1)!.split(' ').slice(1).map(Number);
    expect(ch1Reported).toBeGreaterThan(0);

    // The spool holds at least what the child saw land, and every sample in it is right.
    const dir = path.join(root, 'RE-crash');
    const ch1 = readChannel(dir, 1);
    const ch2 = readChannel(dir, 2);
    expect(ch1.length).toBeGreaterThanOrEqual(ch1Reported);
    expect(ch2.length).toBeGreaterThanOrEqual(ch2Reported);
    expect(firstMismatch(1, ch1)).toBe(-1);
    expect(firstMismatch(2, ch2)).toBe(-1);

    // Restart: recovery finds the recording with its meta and finalizes it.
    const found: SpooledRecording[] = [];
    for await (const f of findSpooledRecordings(root)) found.push(f);
    expect(found).toHaveLength(1);
    expect(found[0].meta).toMatchObject({ recordingId: 'RE-crash', accountId: 'AC1', sampleRate: 8000, outputChannels: 2, extra: { callId: 'crash-test' } });
    const blobs = new LocalDiskBlobStore(blobRoot);
    const uploaded = await uploadSpool(found[0].dir, blobs, 'recordings/AC1/RE-crash.wav');
    const frames = Math.max(ch1.length, ch2.length);
    expect(uploaded).toMatchObject({ durationSamples: frames, sampleRate: 8000, channels: 2 });
    const wav = decodeWav(fs.readFileSync(path.join(blobRoot, 'recordings/AC1/RE-crash.wav')));
    expect(wav.samples.length).toBe(frames * 2);
    let mismatches = 0;
    for (let i = 0; i < frames; i++) {
      if (wav.samples[2 * i] !== (i < ch1.length ? ch1[i] : 0) || wav.samples[2 * i + 1] !== (i < ch2.length ? ch2[i] : 0)) mismatches++;
    }
    expect(mismatches).toBe(0);

    await removeSpool(found[0].dir);
    expect(fs.readdirSync(root)).toEqual([]);
  });
});
