import type { RecordingTap } from './recording-tap.js';

/** A DTMF digit heard on a channel, in ms since the call started. */
export interface DtmfRecord {
  digit: string;
  channel: 1 | 2;
  startMs: number;
  durationMs: number;
}

/**
 * The media side of one live call: both channels on one timeline (samples at `sampleRate`
 * since `startedAtMs`), fanned out to the recordings currently tapping it. With no tap,
 * audio is dropped here: a call nobody records stores nothing.
 */
export class LiveCall {
  private readonly taps = new Set<RecordingTap>();
  readonly dtmf: DtmfRecord[] = [];
  /** Furthest call position seen on any channel, in samples. */
  private end = 0;

  constructor(
    readonly callId: string,
    readonly accountId: string,
    readonly sampleRate: number,
    readonly startedAtMs: number,
  ) {}

  /** Audio of one channel at a call position. */
  push(channel: 1 | 2, position: number, pcm: Int16Array): void {
    const stop = position + pcm.length;
    if (stop > this.end) this.end = stop;
    for (const tap of this.taps) tap.write(channel, position, pcm);
  }

  /** The call position (samples) of "now": the wall clock, so control actions land where the user meant. */
  positionAt(wallMs: number): number {
    return Math.max(0, Math.round(((wallMs - this.startedAtMs) * this.sampleRate) / 1000));
  }

  addDtmf(record: DtmfRecord): void {
    this.dtmf.push(record);
  }

  attach(tap: RecordingTap): void {
    this.taps.add(tap);
  }

  detach(tap: RecordingTap): void {
    this.taps.delete(tap);
  }

  get activeTaps(): RecordingTap[] {
    return [...this.taps];
  }
}
