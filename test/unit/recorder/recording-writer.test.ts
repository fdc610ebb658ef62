import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordingWriter, type RecordingWriterOptions } from '../../../src/recorder/recording-writer.js';
import { readSpoolMeta } from '../../../src/recorder/spool.js';
import { signal } from './fixtures/signal.js';
import { concat, readChannel, tempDir, waitFor, zeros } from './fixtures/spool-files.js';

const roots: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

async function openWriter(overrides: Partial<RecordingWriterOptions> = {}): Promise<RecordingWriter> {
  const root = tempDir();
  roots.push(root);
  return RecordingWriter.open({ root, recordingId: 'RE1', accountId: 'AC1', sampleRate: 8000, sourceChannels: 2, outputChannels: 2, ...overrides });
}

/** A frame whose samples differ from `signal` everywhere, to tell which frame a sample came from. */
function other(n: number, value = -5): Int16Array {
  return new Int16Array(n).fill(value);
}

describe('RecordingWriter spool layout', () => {
  it('writes meta.json before audio and creates one empty file per source channel', async () => {
    const startedAt = new Date('2025-03-01T10:00:00.000Z');
    const w = await openWriter({ extra: { callId: 'CA9', direction: 'inbound' }, startedAt });
    expect(await readSpoolMeta(w.dir)).toEqual({
      format: 1,
      recordingId: 'RE1',
      accountId: 'AC1',
      sampleRate: 8000,
      sourceChannels: 2,
      outputChannels: 2,
      startedAt: '2025-03-01T10:00:00.000Z',
      extra: { callId: 'CA9', direction: 'inbound' },
    });
    expect(fs.readdirSync(w.dir).sort()).toEqual(['ch1.pcm', 'ch2.pcm', 'meta.json']);
    expect(fs.statSync(path.join(w.dir, 'ch1.pcm')).size).toBe(0);
    await w.close();
  });

  it('creates only ch1.pcm for a one-channel recording and rejects channel 2', async () => {
    const w = await openWriter({ sourceChannels: 1, outputChannels: 1 });
    expect(fs.readdirSync(w.dir).sort()).toEqual(['ch1.pcm', 'meta.json']);
    expect(() => w.write(2, 0, signal(2, 0, 160))).toThrow(RangeError);
    await w.close();
  });

  it('refuses a recording id that is already spooled, leaving the existing spool intact', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    await w.flush();
    const root = path.dirname(w.dir);
    await expect(RecordingWriter.open({ root, recordingId: 'RE1', accountId: 'AC2', sampleRate: 8000, sourceChannels: 1, outputChannels: 1 })).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await readSpoolMeta(w.dir)).accountId).toBe('AC1');
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 160));
    await w.close();
  });

  it('rejects recording ids that are not plain directory names', async () => {
    for (const recordingId of ['../escape', 'a/b', '.hidden', '']) {
      await expect(openWriter({ recordingId })).rejects.toThrow(/spool directory/);
    }
  });
});

describe('RecordingWriter timeline', () => {
  it('appends contiguous frames exactly', async () => {
    const w = await openWriter();
    for (let pos = 0; pos < 1600; pos += 160) w.write(1, pos, signal(1, pos, 160));
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 1600));
    expect(w.stats()).toMatchObject({ frames: 10, gapSamples: 0, droppedLate: 0 });
  });

  it('zero-fills a gap exactly, including a late start of the channel', async () => {
    const w = await openWriter();
    w.write(2, 1000, signal(2, 1000, 160)); // channel 2 starts 1000 samples in
    w.write(1, 0, signal(1, 0, 160));
    w.write(1, 400, signal(1, 400, 160)); // 240 samples lost
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(concat(signal(1, 0, 160), zeros(240), signal(1, 400, 160)));
    expect(readChannel(w.dir, 2)).toEqual(concat(zeros(1000), signal(2, 1000, 160)));
    expect(w.stats().gapSamples).toBe(1240);
  });

  it('trims the overlapping head of a frame and keeps what was already written', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    w.write(1, 100, other(160)); // samples 100..159 already exist
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(concat(signal(1, 0, 160), other(100)));
    expect(w.stats()).toMatchObject({ trimmedSamples: 60, frames: 2, droppedLate: 0 });
  });

  it('drops and counts a frame entirely in the past', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 320));
    w.write(1, 160, other(160)); // ends exactly at the channel end
    w.write(1, 0, other(10));
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 320));
    expect(w.stats()).toMatchObject({ droppedLate: 2, frames: 1 });
  });

  it('keeps gaps and overlaps right across flushes', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    await w.flush();
    w.write(1, 80, other(160)); // overlaps flushed audio
    await w.flush();
    w.write(1, 300, signal(1, 300, 160)); // gap after flushed audio
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(concat(signal(1, 0, 160), other(80), zeros(60), signal(1, 300, 160)));
  });

  it('never lets audio of an earlier flush (buffers are reused) leak into a later gap', async () => {
    const a = await openWriter({ recordingId: 'REa' });
    const b = await openWriter({ recordingId: 'REb' });
    // Fill and flush buffers with loud audio, so the pool holds dirty buffers...
    for (let i = 0; i < 5; i++) {
      a.write(1, i * 4000, other(4000, 30000));
      await a.flush();
    }
    // ...then a gap in another recording lands in one of them.
    b.write(1, 0, signal(1, 0, 160));
    await b.flush();
    b.write(1, 3000, signal(1, 3000, 160));
    await Promise.all([a.close(), b.close()]);
    expect(readChannel(b.dir, 1)).toEqual(concat(signal(1, 0, 160), zeros(2840), signal(1, 3000, 160)));
  });

  it('leaves long gaps as holes that read back as zeros, in order, within one flush', async () => {
    const w = await openWriter();
    const gap = 8000 * 3; // 3 s, above the 1 s threshold for holes
    w.write(1, 0, signal(1, 0, 160));
    w.write(1, 160 + gap, signal(1, 160 + gap, 160));
    w.write(1, 320 + 2 * gap, signal(1, 320 + 2 * gap, 160));
    w.write(2, gap, signal(2, gap, 160)); // a hole before the first audio of a channel
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(concat(signal(1, 0, 160), zeros(gap), signal(1, 160 + gap, 160), zeros(gap), signal(1, 320 + 2 * gap, 160)));
    expect(readChannel(w.dir, 2)).toEqual(concat(zeros(gap), signal(2, gap, 160)));
    expect(w.stats().gapSamples).toBe(3 * gap);
  });

  it('reports the duration as the end of the longest channel', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 800));
    w.write(2, 0, signal(2, 0, 1200));
    expect(w.durationSamples).toBe(1200);
    expect(await w.close()).toEqual({ durationSamples: 1200 });
  });
});

describe('RecordingWriter flushing', () => {
  it('batches all buffered frames into one file write per channel', async () => {
    const w = await openWriter();
    const probe = await fsp.open(path.join(w.dir, 'probe'), 'w');
    const writeSpy = vi.spyOn(Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => unknown }, 'write');
    await probe.close();
    for (let pos = 0; pos < 160 * 50; pos += 160) {
      w.write(1, pos, signal(1, pos, 160));
      w.write(2, pos, signal(2, pos, 160));
    }
    await w.flush();
    expect(writeSpy).toHaveBeenCalledTimes(2);
    expect(w.stats()).toMatchObject({ frames: 100, bufferedSamples: 0, flushedSamples: [8000, 8000], flushes: 1 });
    await fsp.rm(path.join(w.dir, 'probe'));
    await w.close();
    expect(readChannel(w.dir, 2)).toEqual(signal(2, 0, 8000));
  });

  it('keeps audio written during a flush for the next one', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    const first = w.flush();
    w.write(1, 160, signal(1, 160, 160)); // lands while the first write is in flight
    const second = w.flush();
    await Promise.all([first, second]);
    expect(w.stats().flushedSamples[0]).toBe(320);
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 320));
  });

  it('starts a flush by itself when more than 4 s of audio is buffered (faster-than-real-time input)', async () => {
    const w = await openWriter();
    for (let pos = 0; pos < 8000 * 5; pos += 160) w.write(1, pos, signal(1, pos, 160));
    expect(await waitFor(() => w.stats().flushedSamples[0] >= 8000 * 4, 2000)).toBe(true);
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 8000 * 5));
  });
  it('starts a flush by itself once the oldest buffered audio is a second old (timers running late)', async () => {
    // No FlushScheduler here: this is the path a saturated event loop relies on.
    let nowMs = 1_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    try {
      const w = await openWriter();
      w.write(1, 0, signal(1, 0, 160));
      nowMs += 990;
      w.write(1, 160, signal(1, 160, 160));
      await new Promise((r) => setTimeout(r, 50));
      expect(w.stats().flushedSamples[0]).toBe(0); // younger than a second: left to the scheduler
      nowMs += 10;
      w.write(1, 320, signal(1, 320, 160));
      expect(await waitFor(() => w.stats().flushedSamples[0] === 480, 2000)).toBe(true);
      await w.close();
      expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 480));
    } finally {
      clock.mockRestore();
    }
  });
});

describe('RecordingWriter lifecycle', () => {
  it('ignores and counts frames after close', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    await w.close();
    w.write(1, 160, signal(1, 160, 160));
    expect(w.state).toBe('closed');
    expect(w.stats().droppedInactive).toBe(1);
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, 160));
    expect(await w.close()).toEqual({ durationSamples: 160 }); // idempotent
  });

  it('discard deletes the directory and never writes buffered audio', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    await w.flush();
    w.write(1, 160, signal(1, 160, 160));
    await w.discard();
    expect(fs.existsSync(w.dir)).toBe(false);
    w.write(1, 320, signal(1, 320, 160));
    await w.flush();
    expect(fs.existsSync(w.dir)).toBe(false);
    expect(w.state).toBe('discarded');
    await expect(w.close()).rejects.toThrow(/discarded/);
  });

  it('abort is discard', async () => {
    const w = await openWriter();
    await w.abort();
    expect(fs.existsSync(w.dir)).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('fails with a reason, without throwing into writes, when the spool is deleted under it', async () => {
    const w = await openWriter();
    w.write(1, 0, signal(1, 0, 160));
    await w.flush();
    await fsp.rm(path.dirname(w.dir), { recursive: true, force: true });
    // POSIX keeps writing into the unlinked files without an error...
    w.write(1, 160, signal(1, 160, 160));
    await w.flush();
    // ...so the loss is caught at close, before anyone tries to finalize a missing spool.
    await expect(w.close()).rejects.toThrow(/deleted while recording/);
    expect(w.state).toBe('failed');
    expect(w.error?.message).toMatch(/deleted/);
    w.write(1, 320, signal(1, 320, 160));
    expect(w.stats().droppedInactive).toBe(1);
  });
});
