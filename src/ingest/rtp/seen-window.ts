// Sliding bitmap of recently seen extended sequence numbers, used to spot duplicate
// RTP packets in O(1) without allocating (the same idea as SRTP's replay window).

/** Window size in packets: 1024 packets is 20 s of 20 ms audio, far past any reorder window. */
export const SEEN_WINDOW_PACKETS = 1024;

const WORDS = SEEN_WINDOW_PACKETS / 32;
const MASK = SEEN_WINDOW_PACKETS - 1;

/** Remembers which of the last 1024 extended sequence numbers have been seen. */
export class SeenWindow {
  private readonly bits = new Uint32Array(WORDS);
  /** Highest extended sequence marked, or -1 when empty. */
  private top = -1;

  /** Mark `ext` as seen; true if it had been seen before (a duplicate). */
  testAndSet(ext: number): boolean {
    if (ext > this.top) {
      if (this.top < 0 || ext - this.top >= SEEN_WINDOW_PACKETS) {
        this.bits.fill(0);
      } else {
        // Clear the slots the window slides over; they held numbers 1024 older.
        for (let n = this.top + 1; n < ext; n++) this.bits[(n & MASK) >>> 5] &= ~(1 << (n & 31));
      }
      this.top = ext;
      this.bits[(ext & MASK) >>> 5] |= 1 << (ext & 31);
      return false;
    }
    // Older than the window: unknown, report as unseen (the caller's lateness check decides).
    if (this.top - ext >= SEEN_WINDOW_PACKETS) return false;
    const word = (ext & MASK) >>> 5;
    const bit = 1 << (ext & 31);
    const seen = (this.bits[word] & bit) !== 0;
    this.bits[word] |= bit;
    return seen;
  }

  /** Forget everything (new SSRC). */
  reset(): void {
    this.top = -1;
    this.bits.fill(0);
  }
}
