/** Where released frames go: `position` in samples on the stream's timeline. */
export type ReleaseSink = (position: number, pcm: Int16Array) => void;

/** What happened to a pushed frame. */
export type PushOutcome = 'held' | 'late' | 'duplicate';

/** Counters of one track, in frames. */
export interface ReorderCounters {
  released: number;
  /** Frames that lay wholly before audio already released (too late for the window, or a repeat of a released frame). */
  late: number;
  /** Frames with the same position as one still held. */
  duplicate: number;
}

/** Released slots at the front are dropped in one splice once there are this many (amortised O(1) release). */
const COMPACT_AT = 64;

/**
 * Puts one track's frames back in timestamp order. Media over a WebSocket rides TCP, but
 * a platform may still emit a track's frames out of order (its own mixing threads), so
 * frames are held for `windowSamples` of stream time and released in position order:
 * a frame is released once a frame at least the window newer has arrived. A frame that
 * lies wholly before what was already released is dropped (counted as late); one that
 * overlaps it partly is released and the recorder trims the overlap. Gaps are left as
 * gaps: the recorder fills them with silence.
 *
 * Held frames live in two parallel arrays sorted by position (about window / 20 ms
 * entries) read from `head`: in-order frames append at the end and leave from the front
 * without allocating, so the common path is O(1).
 */
export class FrameReorder {
  private readonly positions: number[] = [];
  private readonly frames: Int16Array[] = [];
  private head = 0;
  /** End (samples) of what was released so far. */
  private releasedEnd = 0;
  /** Highest frame start seen, in samples; -1 before the first frame. */
  private newest = -1;
  readonly counters: ReorderCounters = { released: 0, late: 0, duplicate: 0 };

  constructor(
    private readonly windowSamples: number,
    private readonly onRelease: ReleaseSink,
    /** Receives frames' sample arrays back once released or dropped, for reuse. */
    private readonly recycle: (pcm: Int16Array) => void = () => {},
  ) {}

  /** Frames waiting for the window to pass. */
  get heldCount(): number {
    return this.positions.length - this.head;
  }

  /** Takes ownership of `pcm` (handed back through `recycle`) placed at `position` samples. */
  push(position: number, pcm: Int16Array): PushOutcome {
    if (position + pcm.length <= this.releasedEnd) {
      this.counters.late++;
      this.recycle(pcm);
      return 'late';
    }
    const { positions, frames } = this;
    let i = positions.length;
    while (i > this.head && positions[i - 1] > position) i--;
    if (i > this.head && positions[i - 1] === position) {
      this.counters.duplicate++;
      this.recycle(pcm);
      return 'duplicate';
    }
    if (i === positions.length) {
      positions.push(position);
      frames.push(pcm);
    } else {
      positions.splice(i, 0, position);
      frames.splice(i, 0, pcm);
    }
    if (position > this.newest) this.newest = position;
    this.releaseUpTo(this.newest - this.windowSamples);
    return 'held';
  }

  /** Releases everything held (end of stream, or the track went quiet for longer than the window). */
  drain(): void {
    this.releaseUpTo(Number.POSITIVE_INFINITY);
  }

  private releaseUpTo(limit: number): void {
    const { positions, frames } = this;
    let head = this.head;
    while (head < positions.length && positions[head] <= limit) {
      const position = positions[head];
      const pcm = frames[head];
      head++;
      this.onRelease(position, pcm);
      const end = position + pcm.length;
      if (end > this.releasedEnd) this.releasedEnd = end;
      this.counters.released++;
      this.recycle(pcm);
    }
    if (head === positions.length) {
      positions.length = 0;
      frames.length = 0;
      head = 0;
    } else if (head >= COMPACT_AT) {
      positions.splice(0, head);
      frames.splice(0, head);
      head = 0;
    }
    this.head = head;
  }
}
