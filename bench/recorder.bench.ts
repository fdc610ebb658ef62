// npx tsx bench/recorder.bench.ts [--recordings 1000] [--seconds 20] [--rate 8000] [--finalize 1000]
// Feeds N concurrent dual-channel recordings 20 ms frames at real-time pace (one shared
// 20 ms setInterval writes one frame to both channels of every recording) and prints CPU
// time per recording-second, event-loop delay and memory, beside a baseline that runs the
// same loop copying frames into in-memory arrays only. Then finalizes the spools
// (spoolToWav + put into a LocalDiskBlobStore) beside a plain copy of the same files.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FlushScheduler } from '../src/recorder/flush-scheduler.js';
import { RecordingWriter } from '../src/recorder/recording-writer.js';
import { removeSpool } from '../src/recorder/spool-recovery.js';
import { uploadSpool } from '../src/recorder/spool-to-wav.js';
import { LocalDiskBlobStore } from '../src/storage/blob/local-disk.js';

const { values } = parseArgs({
  options: {
    recordings: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '8000' },
    finalize: { type: 'string' },
  },
});
const recordings = Number(values.recordings);
const seconds = Number(values.seconds);
const sampleRate = Number(values.rate);
const finalizeCount = Math.min(recordings, Number(values.finalize ?? recordings));
const FRAME_MS = 20;
const frameSamples = (sampleRate * FRAME_MS) / 1000;
const totalFrames = (seconds * 1000) / FRAME_MS;

// One frame per channel, reused: producing audio (decoding RTP) is not the recorder's cost.
const frames = [1, 2].map((ch) => Int16Array.from({ length: frameSamples }, (_, i) => Math.round(8000 * Math.sin((ch * i) / 7))));

interface Sink {
  write(channel: 1 | 2, position: number, pcm: Int16Array): void;
}

/** Baseline: the same copy into memory, without timeline logic, flushing or files. */
class MemorySink implements Sink {
  private readonly buffers = [new Int16Array(sampleRate), new Int16Array(sampleRate)];
  write(channel: 1 | 2, position: number, pcm: Int16Array): void {
    const buf = this.buffers[channel - 1];
    buf.set(pcm, position % (buf.length - pcm.length));
  }
}

interface PaceResult {
  wallMs: number;
  userMs: number;
  systemMs: number;
  /** How much later than 20 ms after the previous tick the frame tick ran: the jitter a media pump would see. */
  lateP99Ms: number;
  lateMaxMs: number;
  memory: NodeJS.MemoryUsage;
}

/** Writes `totalFrames` frames to both channels of every sink at real-time pace. */
async function runAtPace(sinks: Sink[]): Promise<PaceResult> {
  const late: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let previousTick = t0;
  let frame = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      late.push(Math.max(0, now - previousTick - FRAME_MS));
      previousTick = now;
      // Catch up when a tick came late, so the audio fed always matches the wall clock.
      const due = Math.min(totalFrames, Math.floor((performance.now() - t0) / FRAME_MS));
      for (; frame < due; frame++) {
        const pos = frame * frameSamples;
        for (const sink of sinks) {
          sink.write(1, pos, frames[0]);
          sink.write(2, pos, frames[1]);
        }
      }
      if (frame >= totalFrames) {
        clearInterval(timer);
        resolve();
      }
    }, FRAME_MS);
  });
  const cpu = process.cpuUsage(cpu0);
  late.sort((a, b) => a - b);
  return {
    wallMs: performance.now() - t0,
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    lateP99Ms: late[Math.floor(late.length * 0.99)],
    lateMaxMs: late[late.length - 1],
    memory: process.memoryUsage(),
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const recordingSeconds = recordings * seconds;

const cpuMs = (r: PaceResult) => r.userMs + r.systemMs;

function printPace(name: string, r: PaceResult, before: NodeJS.MemoryUsage): void {
  const usPerRecSec = (cpuMs(r) * 1000) / recordingSeconds;
  console.log(
    `${name.padEnd(9)} cpu ${(cpuMs(r) / 1000).toFixed(2)} s (user ${(r.userMs / 1000).toFixed(2)}, sys ${(r.systemMs / 1000).toFixed(2)}) in ${(r.wallMs / 1000).toFixed(1)} s = ` +
      `${((100 * cpuMs(r)) / r.wallMs).toFixed(1)}% of one core, ${usPerRecSec.toFixed(1)} µs per recording-second; ` +
      `tick late p99 ${r.lateP99Ms.toFixed(1)} ms, max ${r.lateMaxMs.toFixed(1)} ms; ` +
      `rss ${mb(r.memory.rss)} (+${mb(r.memory.rss - before.rss)}), heap ${mb(r.memory.heapUsed)}, array buffers ${mb(r.memory.arrayBuffers)}`,
  );
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-recorder-bench-'));
const spoolRoot = path.join(work, 'spool');
const blobRoot = path.join(work, 'blobs');
console.log(
  `${recordings} dual-channel recordings x ${seconds} s at ${sampleRate} Hz, ${FRAME_MS} ms frames ` +
    `(${((recordings * 2 * 1000) / FRAME_MS).toLocaleString()} frames/s), node ${process.version}, ${os.cpus().length} cpus, spool in ${work}`,
);

try {
  // Baseline first, so the recorder run cannot leave it garbage to collect.
  let mem = process.memoryUsage();
  const baseline = await runAtPace(Array.from({ length: recordings }, () => new MemorySink()));
  printPace('baseline', baseline, mem);

  mem = process.memoryUsage();
  const writers = await Promise.all(
    Array.from({ length: recordings }, (_, i) =>
      RecordingWriter.open({ root: spoolRoot, recordingId: `RE${String(i).padStart(5, '0')}`, accountId: 'ACbench', sampleRate, sourceChannels: 2, outputChannels: 2 }),
    ),
  );
  const scheduler = new FlushScheduler(500);
  for (const w of writers) scheduler.add(w);
  const recorder = await runAtPace(writers);
  printPace('recorder', recorder, mem);
  const flushes = writers.reduce((n, w) => n + w.stats().flushes, 0);
  console.log(`          ${flushes.toLocaleString()} flushes = ${(flushes / (recorder.wallMs / 1000)).toFixed(0)}/s, one write per channel each; ${(((cpuMs(recorder) - cpuMs(baseline)) * 1000) / recordingSeconds).toFixed(1)} µs cpu per recording-second above baseline`);

  const c0 = performance.now();
  await scheduler.stop();
  await Promise.all(writers.map((w) => w.close()));
  console.log(`close      ${((performance.now() - c0) / recordings).toFixed(2)} ms per recording (all ${recordings} at once)`);
  for (const w of writers) if (w.state !== 'closed') throw new Error(`${w.recordingId} ended ${w.state}: ${w.error?.message}`);

  // Finalize one recording at a time: the latency a finalize job sees.
  const blobs = new LocalDiskBlobStore(blobRoot);
  const copyRoot = path.join(work, 'copy');
  await fsp.mkdir(copyRoot);
  const toFinalize = writers.slice(0, finalizeCount);
  const b0 = performance.now();
  for (const w of toFinalize) {
    await fsp.copyFile(path.join(w.dir, 'ch1.pcm'), path.join(copyRoot, `${w.recordingId}-1`));
    await fsp.copyFile(path.join(w.dir, 'ch2.pcm'), path.join(copyRoot, `${w.recordingId}-2`));
  }
  const copyMs = (performance.now() - b0) / toFinalize.length;
  let bytes = 0;
  const f0 = performance.now();
  for (const w of toFinalize) bytes += (await uploadSpool(w.dir, blobs, `recordings/ACbench/${w.recordingId}.wav`)).bytes;
  const finalizeMs = (performance.now() - f0) / toFinalize.length;
  console.log(
    `finalize   ${finalizeMs.toFixed(2)} ms per recording (spoolToWav + LocalDiskBlobStore.put of ${(bytes / toFinalize.length / 1024).toFixed(0)} KB WAV, ${toFinalize.length} in sequence, ` +
      `${(seconds / (finalizeMs / 1000)).toFixed(0)}x real time); baseline copyFile of the two channel files ${copyMs.toFixed(2)} ms`,
  );
  for (const w of writers) await removeSpool(w.dir);
} finally {
  await fsp.rm(work, { recursive: true, force: true });
}
