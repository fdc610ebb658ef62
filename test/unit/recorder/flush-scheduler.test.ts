import fsp from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlushScheduler, type FlushableWriter, type FlushLogger } from '../../../src/recorder/flush-scheduler.js';
import { RecordingWriter } from '../../../src/recorder/recording-writer.js';
import { signal } from './fixtures/signal.js';
import { readChannel, tempDir, waitFor } from './fixtures/spool-files.js';

const roots: string[] = [];
const schedulers: FlushScheduler[] = [];
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

function scheduler(intervalMs?: number, logger?: FlushLogger): FlushScheduler {
  const s = new FlushScheduler(intervalMs, { logger });
  schedulers.push(s);
  return s;
}

async function openWriter(recordingId = 'RE1'): Promise<RecordingWriter> {
  const root = tempDir();
  roots.push(root);
  return RecordingWriter.open({ root, recordingId, accountId: 'AC1', sampleRate: 8000, sourceChannels: 2, outputChannels: 2 });
}

/** An in-memory writer whose flush the test controls. */
type FakeWriter = FlushableWriter & { state: string; bufferedSince: number | null };
function fakeWriter(flush: () => Promise<void>): FakeWriter {
  return { recordingId: 'REfake', state: 'open', error: null, bufferedSince: 0, flushing: false, flush: vi.fn(flush) } as unknown as FakeWriter;
}

describe('FlushScheduler', () => {
  it('gets real-time audio to disk within about 1 s, without explicit flushes', async () => {
    const w = await openWriter();
    scheduler(500).add(w);
    const started = performance.now();
    let written = 0; // samples per channel
    let worstLagMs = 0;
    // 2.5 s of 20 ms frames; at every frame, how old is the newest audio that is only in memory?
    while (performance.now() - started < 2500) {
      w.write(1, written, signal(1, written, 160));
      w.write(2, written, signal(2, written, 160));
      written += 160;
      await new Promise((r) => setTimeout(r, 20));
      const elapsedMs = performance.now() - started;
      const onDisk = Math.min(...w.stats().flushedSamples);
      // Audio was written at about 1 frame per 20 ms: sample n was handed over at n / 8 ms.
      const unflushedSinceMs = elapsedMs - onDisk / 8;
      worstLagMs = Math.max(worstLagMs, unflushedSinceMs);
    }
    // 2 x 500 ms by design, plus slack for timer jitter on a loaded machine.
    expect(worstLagMs).toBeLessThan(1000 + 300);
    expect(Math.min(...w.stats().flushedSamples)).toBeGreaterThan(0);
    // Batched: far fewer flushes than frames.
    expect(w.stats().flushes).toBeLessThan(10);
    await w.close();
    expect(readChannel(w.dir, 1)).toEqual(signal(1, 0, written));
  });

  it('leaves audio younger than the interval in memory for the next tick', async () => {
    const w = await openWriter();
    scheduler(300).add(w);
    await new Promise((r) => setTimeout(r, 250)); // just before the first tick
    w.write(1, 0, signal(1, 0, 160));
    await new Promise((r) => setTimeout(r, 150)); // the first tick has passed; the audio was 50 ms old
    expect(w.stats().flushedSamples[0]).toBe(0);
    expect(await waitFor(() => w.stats().flushedSamples[0] === 160, 1000)).toBe(true);
    await w.close();
  });

  it('stop() flushes every writer at once', async () => {
    const a = await openWriter('REa');
    const b = await openWriter('REb');
    const s = scheduler(60_000);
    s.add(a);
    s.add(b);
    a.write(1, 0, signal(1, 0, 160));
    b.write(2, 0, signal(2, 0, 320));
    await s.stop();
    expect(a.stats().flushedSamples).toEqual([160, 0]);
    expect(b.stats().flushedSamples).toEqual([0, 320]);
    expect(() => s.add(a)).toThrow(/stopped/);
    await Promise.all([a.close(), b.close()]);
  });

  it('drops closed writers from its set on the next tick', async () => {
    const w = await openWriter();
    const s = scheduler(20);
    s.add(w);
    await w.close();
    expect(await waitFor(() => s.size === 0, 1000)).toBe(true);
  });

  it('logs a failed flush once, forgets that writer and keeps flushing the others', async () => {
    const logger = { error: vi.fn() };
    const s = scheduler(20, logger as unknown as FlushLogger);
    const diskFull = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const failing = fakeWriter(async () => {
      failing.state = 'failed';
      throw diskFull;
    });
    const healthy = fakeWriter(async () => {});
    s.add(failing);
    s.add(healthy);
    expect(await waitFor(() => (healthy.flush as ReturnType<typeof vi.fn>).mock.calls.length >= 5, 2000)).toBe(true);
    expect(failing.flush).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith({ err: diskFull, recordingId: 'REfake' }, expect.stringMatching(/spool write failed/));
    expect(s.size).toBe(1);
  });

  it('runs at most maxConcurrent flushes at once and still flushes every due writer', async () => {
    const s = new FlushScheduler(20, { maxConcurrent: 3 });
    schedulers.push(s);
    let running = 0;
    let maxRunning = 0;
    const writers = Array.from({ length: 20 }, () => {
      const w = fakeWriter(async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        w.bufferedSince = null; // flushed: nothing buffered until the next write
      });
      return w;
    });
    for (const w of writers) s.add(w);
    expect(await waitFor(() => writers.every((w) => (w.flush as ReturnType<typeof vi.fn>).mock.calls.length === 1), 2000)).toBe(true);
    expect(maxRunning).toBe(3);
  });

  it('does not queue a second flush behind one that is still writing (slow disk)', async () => {
    const s = scheduler(20);
    let release: () => void = () => {};
    const slow = fakeWriter(() => new Promise<void>((r) => (release = r)));
    s.add(slow);
    expect(await waitFor(() => (slow.flush as ReturnType<typeof vi.fn>).mock.calls.length === 1, 1000)).toBe(true);
    (slow as { flushing: boolean }).flushing = true;
    await new Promise((r) => setTimeout(r, 120)); // several ticks
    expect(slow.flush).toHaveBeenCalledTimes(1);
    (slow as { flushing: boolean }).flushing = false;
    release();
    s.remove(slow);
  });
});
