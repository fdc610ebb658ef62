import type { RecordingWriter } from './recording-writer.js';

/** Which parties a recording keeps: inbound = channel 1 (caller), outbound = channel 2. */
export type Track = 'both' | 'inbound' | 'outbound';

/** What happens to a paused span: `silence` keeps its length as silence, `skip` cuts it out. */
export type PauseBehavior = 'silence' | 'skip';

/**
 * One recording's view of a live call. The call's audio arrives positioned on the call
 * timeline; the tap moves it to the recording's timeline (which starts when recording
 * started and, with `skip`, has paused spans cut out) and drops what is paused, so paused
 * audio is never handed to the writer and never reaches disk.
 */
export class RecordingTap {
  private pausedAt: number | null = null;
  private pauseBehavior: PauseBehavior = 'silence';
  /** Samples cut out by `skip` pauses so far. */
  private skipped = 0;
  /** Call sample where recording (re)started; audio before it belongs to no recording. */
  private readonly start: number;

  constructor(
    readonly recordingId: string,
    readonly writer: RecordingWriter,
    startPosition: number,
    /** Wall clock (ms) when recording started, to place DTMF events. */
    readonly startedAtMs: number,
    private readonly track: Track,
  ) {
    this.start = startPosition;
  }

  get paused(): boolean {
    return this.pausedAt !== null;
  }

  /** Routes one chunk of a call channel (1 = caller, 2 = callee) into the recording. */
  write(channel: 1 | 2, callPosition: number, pcm: Int16Array): void {
    if (this.track === 'inbound' && channel !== 1) return;
    if (this.track === 'outbound' && channel !== 2) return;
    let pos = callPosition - this.start - this.skipped;
    let samples = pcm;
    if (this.pausedAt !== null) {
      // Keep only what precedes the pause point (a late packet from before the pause).
      const keep = this.pausedAt - this.start - this.skipped - pos;
      if (keep <= 0) return;
      samples = samples.subarray(0, Math.min(keep, samples.length));
    }
    if (pos < 0) {
      if (-pos >= samples.length) return;
      samples = samples.subarray(-pos);
      pos = 0;
    }
    // A single-track recording is mono: its only party goes to the writer's channel 1.
    this.writer.write(this.track === 'both' ? channel : 1, pos, samples);
  }

  /** Stops taking audio from `callPosition` on. */
  pause(callPosition: number, behavior: PauseBehavior): void {
    if (this.pausedAt !== null) return;
    this.pausedAt = callPosition;
    this.pauseBehavior = behavior;
  }

  /** Takes audio again from `callPosition`; a `skip` pause removes the span from the timeline. */
  resume(callPosition: number): void {
    if (this.pausedAt === null) return;
    if (this.pauseBehavior === 'skip') this.skipped += Math.max(0, callPosition - this.pausedAt);
    this.pausedAt = null;
  }
}
