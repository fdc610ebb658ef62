// Extends RTP's wrapping counters into monotonic numbers (RFC 3550 Appendix A.1).
// Both classes are O(1) per packet and allocation-free.

/** Forward jump in packets still treated as loss rather than a sender restart (RFC 3550 A.1). */
export const SEQ_MAX_DROPOUT = 3000;
/** Backward step in packets still treated as reordering rather than a restart (RFC 3550 A.1). */
export const SEQ_MAX_MISORDER = 100;

const SEQ_MOD = 0x10000;

/**
 * 16-bit sequence number → extended sequence number.
 * Extended numbers start at 65536 + the first sequence, so a packet reordered across
 * the wrap before the first one (first 3, then 65534) still maps to a positive
 * number (65534). A large jump is taken as a sender restart only when the next
 * packet confirms it (A.1's bad_seq); the restarted run then continues right after
 * the highest number so far, keeping extended numbers monotonic.
 */
export class SeqUnwrapper {
  private maxSeq = -1;
  private maxExt = -1;
  /** Sequence that would confirm a restart (A.1 bad_seq), or -1. */
  private badSeq = -1;

  /** Highest extended sequence accepted so far, or -1 before the first packet. */
  get highest(): number {
    return this.maxExt;
  }

  /** Extended sequence for `seq`, or -1 for a lone large jump awaiting confirmation. */
  unwrap(seq: number): number {
    if (this.maxExt < 0) {
      this.maxSeq = seq;
      this.maxExt = SEQ_MOD + seq;
      return this.maxExt;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (udelta < SEQ_MAX_DROPOUT) {
      // In order, possibly with loss, possibly across 65535 → 0.
      this.badSeq = -1;
      if (udelta > 0) {
        this.maxSeq = seq;
        this.maxExt += udelta;
      }
      return this.maxExt;
    }
    if (udelta > SEQ_MOD - SEQ_MAX_MISORDER) {
      // Reordered or duplicate, possibly from before a wrap: step back.
      return this.maxExt - (SEQ_MOD - udelta);
    }
    if (seq === this.badSeq) {
      // Two consecutive packets after a big jump: the sender restarted. The packet
      // before this one (badSeq - 1) was reported as -1; resume just after it.
      this.badSeq = -1;
      this.maxSeq = seq;
      this.maxExt += 2;
      return this.maxExt;
    }
    this.badSeq = (seq + 1) & 0xffff;
    return -1;
  }

  /** Forget everything (new SSRC). */
  reset(): void {
    this.maxSeq = -1;
    this.maxExt = -1;
    this.badSeq = -1;
  }
}

/**
 * 32-bit RTP timestamp (ticks) → extended timestamp (ticks) that keeps counting past
 * 2^32 and steps back for reordered packets, including across the wrap. Each packet
 * is read as the nearest value to the highest seen so far (signed 32-bit delta), so
 * no drop-out limits apply: callers judge jumps against wall-clock arrival instead.
 */
export class TimestampUnwrapper {
  private started = false;
  private maxTs = 0;
  private maxExt = 0;

  /** Extended timestamp in ticks for a raw 32-bit RTP timestamp. */
  unwrap(ts: number): number {
    if (!this.started) {
      this.started = true;
      this.maxTs = ts;
      this.maxExt = ts;
      return ts;
    }
    // `| 0` turns the difference into a signed 32-bit delta: wrap-safe both ways.
    const delta = (ts - this.maxTs) | 0;
    const ext = this.maxExt + delta;
    if (delta > 0) {
      this.maxTs = ts;
      this.maxExt = ext;
    }
    return ext;
  }

  /** Extended timestamp `ts` would get, without recording it. */
  peek(ts: number): number {
    return this.started ? this.maxExt + ((ts - this.maxTs) | 0) : ts;
  }

  /** Forget everything; the next timestamp starts a fresh run (re-anchor, new SSRC). */
  reset(): void {
    this.started = false;
  }
}
