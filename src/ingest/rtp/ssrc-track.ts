// Per-SSRC state of a jitter buffer: counter unwrapping, duplicate window and the
// anchor that maps this source's RTP timestamps onto the call timeline.

import { SeenWindow } from './seen-window.js';
import { SeqUnwrapper, TimestampUnwrapper } from './seq-unwrap.js';

/** One synchronisation source's mapping from RTP timestamps (ticks) to call-timeline ticks. */
export class SsrcTrack {
  ssrc = 0;
  active = false;
  /** True until the first packet after start() pins the anchor. */
  unanchored = true;
  readonly seq = new SeqUnwrapper();
  readonly ts = new TimestampUnwrapper();
  readonly seen = new SeenWindow();
  /** Call-timeline position (ticks since call start) of the anchor packet. */
  anchorCallTs = 0;
  /** Extended RTP timestamp (ticks) of the anchor packet. */
  anchorExtTs = 0;
  /**
   * Ticks by which the anchor was placed after its arrival-based position (to avoid
   * overlapping audio already placed); drift is measured relative to it.
   */
  baseline = 0;
  /**
   * Drift (ticks) of the last packet placed by timestamp. A sender's clock jump moves the
   * drift at once, between two packets; a receive backlog (this process reading its socket
   * later and later while it is overloaded) moves it a little with each packet. Jumps are
   * judged by the change from here, so a backlog that deepens past the threshold gradually
   * is not mistaken for one.
   */
  lastDrift = 0;

  /** Start tracking a new SSRC from scratch. */
  start(ssrc: number): void {
    this.ssrc = ssrc;
    this.active = true;
    this.unanchored = true;
    this.seq.reset();
    this.ts.reset();
    this.seen.reset();
  }

  /** Pin extended timestamp `extTs` to `callTs`; `arrivalTicks` is where arrival alone would put it. */
  anchor(extTs: number, callTs: number, arrivalTicks: number): void {
    this.anchorExtTs = extTs;
    this.anchorCallTs = callTs;
    this.baseline = callTs - arrivalTicks;
    this.lastDrift = 0;
    this.unanchored = false;
  }

  /** Call-timeline ticks for an extended RTP timestamp. */
  place(extTs: number): number {
    return this.anchorCallTs + (extTs - this.anchorExtTs);
  }

  /** Ticks by which `callTs` strays from arrival-based placement, beyond the anchor's own offset. */
  drift(callTs: number, arrivalTicks: number): number {
    return callTs - arrivalTicks - this.baseline;
  }
}
