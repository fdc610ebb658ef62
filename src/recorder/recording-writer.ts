/**
 * Spools one live recording to disk (layout in spool.ts). `write` is synchronous and only
 * copies the frame into memory; `flush` (driven by the shared FlushScheduler) appends what
 * accumulated with one file write per channel. A crash therefore loses at most the audio
 * since the last flush, and what is on disk is always a valid prefix of each channel.
 */
import fsp from 'node:fs/promises';
import { ChannelBuffer, type ChannelCounters, type SampleRun } from './channel-buffer.js';
import { assertSpoolId, channelFile, SPOOL_FORMAT_VERSION, spoolDir, syncDir, writeSpoolMeta, type SpoolMeta } from './spool.js';

/** Options of {@link RecordingWriter.open}. */
export interface RecordingWriterOptions {
  /** Spool root; the recording gets `<root>/<recordingId>/`. */
  root: string;
  recordingId: string;
  accountId: string;
  /** Samples per second (8000 or 16000 for calls). */
  sampleRate: number;
  sourceChannels: 1 | 2;
  outputChannels: 1 | 2;
  /** Caller's data stored in meta.json for crash recovery (call id, tags...). */
  extra?: Record<string, unknown>;
  /** Recording start time for meta.json; defaults to now. */
  startedAt?: Date;
}

/** open: accepting audio; closing: final flush running; closed: done; failed: a write failed; discarded: deleted. */
export type RecordingWriterState = 'open' | 'closing' | 'closed' | 'failed' | 'discarded';

/** Counters of a writer, summed over channels unless per channel. */
export interface RecordingWriterStats extends ChannelCounters {
  state: RecordingWriterState;
  /** Frames ignored because the writer was no longer open (late arrivals after close, or after a failure). */
  droppedInactive: number;
  /** Samples (all channels) in memory, not yet handed to the kernel. */
  bufferedSamples: number;
  /** Per channel: samples handed to the kernel, i.e. that survive a process crash. */
  flushedSamples: number[];
  /** Flushes that wrote something. */
  flushes: number;
}

// Per channel, a flush is started from `write` once this much audio is buffered, so a
// producer faster than real time (a burst after a stall, a replay) cannot grow memory
// without bound between scheduler ticks. 4 s = 64 KB at 8 kHz.
const HIGH_WATER_SECONDS = 4;
// A write that finds the oldest buffered audio this old starts the flush itself. The
// FlushScheduler's timer normally flushes at half this age; under a saturated event loop
// (1,000 calls on two cores) libuv drains socket backlogs for seconds between timer runs,
// and without this check audio then sat in memory until the 4 s high-water mark, past the
// one-second crash-loss promise.
const MAX_BUFFERED_MS = 1000;
// Gaps from 1 s up become sparse holes instead of zeros in memory (see ChannelBuffer).
const LONG_GAP_SECONDS = 1;
// First buffer size; the buffer grows once to what accumulates between flushes.
const INITIAL_BUFFER_SECONDS = 0.5;

/** Spools one recording: synchronous buffered writes, batched appends, crash-safe layout. */
export class RecordingWriter {
  readonly recordingId: string;
  readonly sampleRate: number;
  readonly sourceChannels: 1 | 2;
  readonly outputChannels: 1 | 2;
  private stateValue: RecordingWriterState = 'open';
  private errorValue: Error | null = null;
  /** performance.now() (ms) when the oldest audio still in memory arrived; null when nothing is buffered. */
  bufferedSince: number | null = null;

  private readonly channels: ChannelBuffer[];
  private readonly flushedEnd: number[];
  private readonly highWaterSamples: number;
  private droppedInactive = 0;
  private flushes = 0;
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private handlesClosed: Promise<void> | null = null;
  private closing: Promise<{ durationSamples: number }> | null = null;
  private discarding: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    meta: SpoolMeta,
    private readonly handles: fsp.FileHandle[],
  ) {
    this.recordingId = meta.recordingId;
    this.sampleRate = meta.sampleRate;
    this.sourceChannels = meta.sourceChannels;
    this.outputChannels = meta.outputChannels;
    this.highWaterSamples = meta.sampleRate * HIGH_WATER_SECONDS;
    this.channels = handles.map(() => new ChannelBuffer(Math.ceil(meta.sampleRate * INITIAL_BUFFER_SECONDS), meta.sampleRate * LONG_GAP_SECONDS));
    this.flushedEnd = handles.map(() => 0);
  }

  /** Creates the spool directory, writes meta.json durably, then creates the channel files. */
  static async open(opts: RecordingWriterOptions): Promise<RecordingWriter> {
    assertSpoolId(opts.recordingId);
    if (!Number.isInteger(opts.sampleRate) || opts.sampleRate < 4000 || opts.sampleRate > 192000) {
      throw new RangeError(`invalid sample rate ${opts.sampleRate}`);
    }
    if (opts.sourceChannels !== 1 && opts.sourceChannels !== 2) throw new RangeError(`invalid sourceChannels ${opts.sourceChannels}`);
    if (opts.outputChannels !== 1 && opts.outputChannels !== 2) throw new RangeError(`invalid outputChannels ${opts.outputChannels}`);
    const meta: SpoolMeta = {
      format: SPOOL_FORMAT_VERSION,
      recordingId: opts.recordingId,
      accountId: opts.accountId,
      sampleRate: opts.sampleRate,
      sourceChannels: opts.sourceChannels,
      outputChannels: opts.outputChannels,
      startedAt: (opts.startedAt ?? new Date()).toISOString(),
      extra: opts.extra ?? {},
    };
    const dir = spoolDir(opts.root, opts.recordingId);
    await fsp.mkdir(opts.root, { recursive: true });
    // Not recursive: an existing directory is another recording's spool (or one awaiting
    // recovery) and must not be mixed into this one.
    await fsp.mkdir(dir);
    const handles: fsp.FileHandle[] = [];
    try {
      await syncDir(opts.root);
      await writeSpoolMeta(dir, meta);
      for (let ch = 1; ch <= opts.sourceChannels; ch++) handles.push(await fsp.open(channelFile(dir, ch as 1 | 2), 'wx'));
      await syncDir(dir);
    } catch (err) {
      await Promise.allSettled(handles.map((h) => h.close()));
      await fsp.rm(dir, { recursive: true, force: true });
      throw err;
    }
    return new RecordingWriter(dir, meta, handles);
  }

  /** Where the writer is in its life; only 'open' accepts audio. */
  get state(): RecordingWriterState {
    return this.stateValue;
  }

  /** Why the writer failed (the first write or close error), or null. */
  get error(): Error | null {
    return this.errorValue;
  }

  /** True while a flush is writing; the scheduler skips such writers instead of queueing more. */
  get flushing(): boolean {
    return this.inFlight !== null;
  }

  /** Length of the recording so far in samples: the end of the longest channel, buffered audio included. */
  get durationSamples(): number {
    let max = 0;
    for (const ch of this.channels) if (ch.end > max) max = ch.end;
    return max;
  }

  /**
   * Buffers a frame of `channel` (1-based) at `position` samples from the recording start.
   * A gap since the channel's end is zero-filled; the part of the frame before the end is
   * trimmed; a frame wholly before the end is dropped (counted as droppedLate). Frames
   * arriving after close or failure are ignored (counted), never thrown: they are normal
   * at the end of a call.
   */
  write(channel: 1 | 2, position: number, pcm: Int16Array): void {
    const buffer = this.channels[channel - 1];
    if (buffer === undefined) throw new RangeError(`channel ${channel} not in a ${this.sourceChannels}-channel recording`);
    if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`invalid position ${position}`);
    if (this.stateValue !== 'open') {
      this.droppedInactive++;
      return;
    }
    if (pcm.length === 0 || !buffer.append(position, pcm)) return;
    if (this.bufferedSince === null) this.bufferedSince = performance.now();
    if (buffer.buffered >= this.highWaterSamples || performance.now() - this.bufferedSince >= MAX_BUFFERED_MS) void this.requestFlush();
  }

  /** Hands everything buffered to the kernel (one write per channel); rejects with the writer's error once failed. */
  async flush(): Promise<void> {
    await this.requestFlush();
    if (this.errorValue) throw this.errorValue;
  }

  /** Flushes, closes the files and returns the duration; rejects (after closing) when the writer failed. */
  close(): Promise<{ durationSamples: number }> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /** Stops recording and deletes the spool directory with everything in it (the call is not to be kept). */
  discard(): Promise<void> {
    this.discarding ??= this.discardOnce();
    return this.discarding;
  }

  /** Same as {@link discard}. */
  abort(): Promise<void> {
    return this.discard();
  }

  /** Counters for metrics and tests. */
  stats(): RecordingWriterStats {
    const sum: ChannelCounters = { frames: 0, droppedLate: 0, gapSamples: 0, trimmedSamples: 0 };
    let bufferedSamples = 0;
    for (const ch of this.channels) {
      sum.frames += ch.counters.frames;
      sum.droppedLate += ch.counters.droppedLate;
      sum.gapSamples += ch.counters.gapSamples;
      sum.trimmedSamples += ch.counters.trimmedSamples;
      bufferedSamples += ch.buffered;
    }
    return { ...sum, state: this.stateValue, droppedInactive: this.droppedInactive, bufferedSamples, flushedSamples: [...this.flushedEnd], flushes: this.flushes };
  }

  /** Starts a flush, or joins the one queued behind the running one; never rejects. */
  private requestFlush(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.inFlight) {
      // Writes to one file stay ordered: the next flush starts when this one has landed.
      this.queued = this.inFlight.then(() => {
        this.queued = null;
        return this.startFlush();
      });
      return this.queued;
    }
    return this.startFlush();
  }

  private startFlush(): Promise<void> {
    const run: Promise<void> = this.writeBuffered().then(() => {
      if (this.inFlight === run) this.inFlight = null;
    });
    this.inFlight = run;
    return run;
  }

  private async writeBuffered(): Promise<void> {
    if (this.stateValue !== 'open' && this.stateValue !== 'closing') return;
    this.bufferedSince = null;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < this.channels.length; i++) {
      const runs = this.channels[i].take();
      if (runs.length > 0) writes.push(this.writeRuns(i, runs));
    }
    if (writes.length === 0) return;
    // allSettled, not all: a failed channel must not let close() race the other channel's write.
    const results = await Promise.allSettled(writes);
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) this.fail((failure as PromiseRejectedResult).reason);
    else this.flushes++;
  }

  private async writeRuns(index: number, runs: SampleRun[]): Promise<void> {
    const handle = this.handles[index];
    for (const run of runs) {
      await writeAll(handle, run.data, run.start * 2);
      this.flushedEnd[index] = run.start + run.data.length;
    }
    this.channels[index].release(runs);
  }

  private fail(reason: unknown): void {
    if (this.stateValue !== 'open' && this.stateValue !== 'closing') return;
    this.stateValue = 'failed';
    this.errorValue = reason instanceof Error ? reason : new Error(String(reason));
    this.bufferedSince = null;
    for (const ch of this.channels) ch.clear();
  }

  private async closeOnce(): Promise<{ durationSamples: number }> {
    if (this.stateValue === 'open') this.stateValue = 'closing';
    await this.requestFlush();
    if (this.stateValue === 'closing') await this.checkNotDeleted();
    await this.closeHandles();
    if (this.stateValue === 'discarded') throw new Error(`recording ${this.recordingId} was discarded`);
    if (this.stateValue === 'failed') throw new Error(`recording ${this.recordingId} spool failed: ${this.errorValue?.message}`, { cause: this.errorValue });
    this.stateValue = 'closed';
    return { durationSamples: Math.max(...this.flushedEnd) };
  }

  /**
   * Open files outlive their deletion on POSIX, so a spool removed under a live recording
   * (an operator, a tmp cleaner) is invisible to writes; catch it here, before the caller
   * tries to finalize a directory that no longer exists.
   */
  private async checkNotDeleted(): Promise<void> {
    try {
      for (const handle of this.handles) {
        if ((await handle.stat()).nlink === 0) throw new Error(`spool file of recording ${this.recordingId} was deleted while recording`);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async discardOnce(): Promise<void> {
    this.stateValue = 'discarded';
    this.bufferedSince = null;
    for (const ch of this.channels) ch.clear();
    // A write already in flight cannot be recalled: wait for it, then delete everything.
    await this.inFlight;
    await this.closeHandles();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  /** Closes the files and returns the channel buffers to the pool; every terminal state passes here once. */
  private closeHandles(): Promise<void> {
    this.handlesClosed ??= Promise.allSettled(this.handles.map((h) => h.close())).then((results) => {
      for (const ch of this.channels) ch.dispose();
      const failure = results.find((r) => r.status === 'rejected');
      // close() can report a deferred write error (NFS): the audio is then not safe.
      if (failure) this.fail((failure as PromiseRejectedResult).reason);
    });
    return this.handlesClosed;
  }
}

/** Writes all of `data` at byte offset `position`, continuing after short writes. */
async function writeAll(handle: fsp.FileHandle, data: Int16Array, position: number): Promise<void> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write to spool at byte ${position + done}`);
    done += bytesWritten;
  }
}
