// How late this process may be in reading its RTP sockets.
//
// Arrival times are taken when a datagram's callback runs, not when the kernel queued it.
// When the event loop falls behind (at 1,000 calls on two cores, libuv drained socket
// backlogs for seconds at a time), every stream's packets are processed seconds after they
// arrived, and then in a burst. To the jitter buffer that looks like a sender whose
// timestamps stopped while the wall clock ran on, which it answers by re-anchoring on
// arrival: the rest of the stream would land seconds late. Nothing else can tell the two
// apart (Node's dgram gives no kernel receive timestamps), but the process knows when it
// was itself behind: its timers run once per event-loop turn, so the time since the last
// tick bounds how long a datagram can have waited unread. A stall is remembered for as long
// again after it ends, while the burst it left behind drains. Stalls that follow each other
// before that add up: a socket that was not reached in the burst after one stall can wait
// through the next as well (500 calls on a slow two-core machine re-anchored 13 of 1,000
// streams by about a second with no single stall over 1.0 s).

/** Tracks event-loop turns with a 10 ms timer; lagMs() is the receive delay to allow for. */
export class ReceiveLagGauge {
  private lastTickMs: number;
  /** The longest recent gap between ticks, and when it ended. */
  private stallMs = 0;
  private stallEndedMs = -Infinity;
  /** Consecutive stalls added up, and when the last of them ended. */
  private debtMs = 0;
  private debtEndedMs = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly tickMs = 10,
  ) {
    this.lastTickMs = now();
  }

  /** Starts the (unref'd) timer; idempotent. */
  start(): this {
    if (this.timer === null) {
      this.lastTickMs = this.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One timer turn; public so tests can drive it with their own clock. */
  tick(): void {
    const now = this.now();
    const gap = now - this.lastTickMs;
    this.lastTickMs = now;
    if (gap > this.stallMs || now - this.stallEndedMs > this.stallMs) {
      this.stallMs = gap;
      this.stallEndedMs = now;
    }
    // A stall: the timer came at least one whole period late.
    if (gap >= 2 * this.tickMs) {
      this.debtMs = now - this.debtEndedMs <= this.debtMs ? this.debtMs + gap : gap;
      this.debtEndedMs = now;
    }
  }

  /** Milliseconds a datagram processed now may have waited unread: the current gap, or recent stalls added up. */
  lagMs(): number {
    const now = this.now();
    const current = now - this.lastTickMs;
    const recent = now - this.stallEndedMs <= this.stallMs ? this.stallMs : 0;
    const debt = now - this.debtEndedMs <= this.debtMs ? this.debtMs : 0;
    return Math.max(current, recent, debt);
  }
}

/** The process's gauge, started by the first RTP stream that asks for it. */
let shared: ReceiveLagGauge | null = null;
export function processReceiveLag(): ReceiveLagGauge {
  shared ??= new ReceiveLagGauge().start();
  return shared;
}
