/**
 * In-memory part of one spooled channel: places frames on the recording timeline
 * (zero-filling gaps, trimming overlaps) and hands out what accumulated since the last
 * flush as contiguous runs, each destined for one file write.
 *
 * Positions and lengths are in samples of this channel; the file offset of position p is
 * 2·p bytes. Nothing here does I/O, so the hot path (`append`, once per 20 ms frame)
 * is a bounds check and one memcpy, without allocation.
 *
 * Memory: each channel owns one buffer, sized once to what accumulates between flushes
 * (about 1 s of audio: 16 KB at 8 kHz). While a flush writes that buffer, new frames go to
 * a buffer borrowed from a process-wide pool, and the written one goes back to the pool.
 * So memory is one buffer per channel plus one per write in flight (the FlushScheduler
 * keeps those few), not two per channel as with plain double buffering.
 */

/** Free buffers by length (samples); bounded so a burst of flushes cannot pin memory. */
const pool = new Map<number, Int16Array[]>();
const POOL_MAX_PER_LENGTH = 64;

function borrow(length: number): Int16Array {
  return pool.get(length)?.pop() ?? new Int16Array(length);
}

function giveBack(buffer: Int16Array): void {
  let free = pool.get(buffer.length);
  if (free === undefined) pool.set(buffer.length, (free = []));
  if (free.length < POOL_MAX_PER_LENGTH) free.push(buffer);
}

/** A run of consecutive samples that starts at timeline position `start`. */
export interface SampleRun {
  /** Position of data[0], in samples from the recording start. */
  start: number;
  data: Int16Array;
  /** data views a pooled buffer, which goes back to the pool on release. */
  pooled: boolean;
}

/** Counters for one channel, in frames or samples as named. */
export interface ChannelCounters {
  /** Frames accepted (wholly or after trimming their overlapping head). */
  frames: number;
  /** Frames dropped because they lay entirely before the channel's end. */
  droppedLate: number;
  /** Samples of silence inserted for gaps (memory zero-fill and sparse holes alike). */
  gapSamples: number;
  /** Samples cut from the head of frames that overlapped audio already written. */
  trimmedSamples: number;
}

/** Timeline placement and flush batching of one channel's samples, in memory. */
export class ChannelBuffer {
  /** Timeline end of everything accepted so far (buffered or flushed), in samples. */
  end = 0;
  readonly counters: ChannelCounters = { frames: 0, droppedLate: 0, gapSamples: 0, trimmedSamples: 0 };

  private active: Int16Array;
  /** Samples held in `active`, starting at timeline position `activeStart`. */
  private length = 0;
  private activeStart = 0;
  /** Runs closed by a long gap, waiting for the next flush; empty except after long gaps. */
  private sealed: SampleRun[] = [];

  /**
   * @param initialCapacity samples the buffer holds before it grows (it grows to fit what
   *   accumulates between flushes once, then stays at that size).
   * @param longGapSamples gaps at least this long are not zero-filled in memory: the next
   *   write lands past the file's end and the file system leaves a hole that reads as zeros,
   *   so a timestamp jump of hours costs neither memory nor disk.
   */
  constructor(initialCapacity: number, private readonly longGapSamples: number) {
    this.active = borrow(Math.max(1, initialCapacity));
  }

  /** Samples waiting for a flush. */
  get buffered(): number {
    let n = this.length;
    for (const run of this.sealed) n += run.data.length;
    return n;
  }

  /** Places `pcm` at `position` (samples); returns false when the frame was dropped as late. */
  append(position: number, pcm: Int16Array): boolean {
    let n = pcm.length;
    let from = 0;
    if (position !== this.end) {
      if (position > this.end) {
        const gap = position - this.end;
        this.counters.gapSamples += gap;
        if (gap >= this.longGapSamples) this.startRunAt(position);
        else {
          this.reserve(gap + n);
          // Typed arrays are not guaranteed zero after reuse: clear the gap explicitly.
          this.active.fill(0, this.length, this.length + gap);
          this.length += gap;
        }
        this.end = position;
      } else {
        from = this.end - position;
        if (from >= n) {
          this.counters.droppedLate++;
          return false;
        }
        this.counters.trimmedSamples += from;
        n -= from;
      }
    }
    this.reserve(n);
    // subarray allocates a view, but only on the rare overlap path.
    this.active.set(from === 0 ? pcm : pcm.subarray(from), this.length);
    this.length += n;
    this.end += n;
    this.counters.frames++;
    return true;
  }

  /**
   * Takes everything buffered as runs in timeline order and starts a new buffer. The
   * returned arrays stay valid until {@link release} is called with them; the caller
   * writes them and then releases them.
   */
  take(): SampleRun[] {
    const runs = this.sealed.length > 0 ? this.sealed : [];
    this.sealed = [];
    if (this.length > 0) {
      runs.push({ start: this.activeStart, data: this.active.subarray(0, this.length), pooled: true });
      this.active = borrow(this.active.length);
    }
    this.length = 0;
    this.activeStart = this.end;
    return runs;
  }

  /** Returns the buffers of runs from {@link take} once written (or abandoned), for reuse. */
  release(runs: SampleRun[]): void {
    for (const run of runs) if (run.pooled) giveBack(new Int16Array(run.data.buffer as ArrayBuffer));
  }

  /** Drops everything buffered (discard, or after a failed write). */
  clear(): void {
    this.sealed = [];
    this.length = 0;
    this.activeStart = this.end;
  }

  /** Returns the buffer to the pool; the channel must not be used afterwards. */
  dispose(): void {
    this.clear();
    giveBack(this.active);
    this.active = new Int16Array(0);
  }

  private startRunAt(position: number): void {
    if (this.length > 0) {
      // A one-off copy: long gaps are rare, and the active buffer keeps its pooled size.
      this.sealed.push({ start: this.activeStart, data: this.active.slice(0, this.length), pooled: false });
      this.length = 0;
    }
    this.activeStart = position;
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.active.length) return;
    // Grow by half: the size settles after a flush or two, at about what one flush interval holds.
    const grown = borrow(Math.max(needed, Math.ceil(this.active.length * 1.5)));
    grown.set(this.active.subarray(0, this.length));
    giveBack(this.active);
    this.active = grown;
  }
}
