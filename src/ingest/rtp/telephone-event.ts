// RFC 4733 named telephone events (DTMF). Senders repeat each event: one packet per
// packetisation interval with the same RTP timestamp (the event start) and a growing
// duration, then the final duration with the end bit, usually three times. The
// tracker folds that redundancy into one DtmfEvent per key press.

/** One decoded telephone-event payload (RFC 4733 §2.3). */
export interface TelephoneEvent {
  /** Event code: 0..9 digits, 10 '*', 11 '#', 12..15 'A'..'D', 16 flash. */
  event: number;
  end: boolean;
  /** Power level in -dBm0 (0..63). */
  volume: number;
  /** Duration so far in RTP ticks since the event's timestamp (0..65535). */
  duration: number;
}

/** A DTMF digit or hook flash. */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D' | 'flash';

/** One key press, reported exactly once. */
export interface DtmfEvent {
  digit: DtmfDigit;
  /** Event start in the timestamp units passed to push (RTP ticks or call-timeline ticks). */
  startTs: number;
  /** Duration in RTP ticks (e.g. 800 = 100 ms at 8 kHz). */
  durationTicks: number;
}

const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', 'flash'];

/** Largest duration field; longer events continue in a new segment (RFC 4733 §2.5.2.3). */
const MAX_SEGMENT_TICKS = 0xffff;

/** Decode the first event of a telephone-event payload; null if shorter than 4 bytes. */
export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | null {
  if (payload.length < 4) return null;
  const b1 = payload[1];
  return { event: payload[0], end: (b1 & 0x80) !== 0, volume: b1 & 0x3f, duration: payload.readUInt16BE(2) };
}

/** Encode a telephone-event payload (tests and load generators). */
export function buildTelephoneEvent(ev: TelephoneEvent): Buffer {
  const buf = Buffer.alloc(4);
  buf[0] = ev.event;
  buf[1] = (ev.end ? 0x80 : 0) | (ev.volume & 0x3f);
  buf.writeUInt16BE(ev.duration & 0xffff, 2);
  return buf;
}

/** The DTMF digit for an event code, or null for other events (tones, fax signals). */
export function dtmfDigitOf(event: number): DtmfDigit | null {
  return event < DIGITS.length ? DIGITS[event] : null;
}

/**
 * Per-stream tracker turning redundant telephone-event packets into one DtmfEvent
 * per key press. An event is reported when its first end packet arrives; if every
 * end packet is lost, it is reported when the next event starts or on flush().
 * Later packets of a reported event (the end retransmissions) are ignored.
 */
export class TelephoneEventTracker {
  /** Timestamp of the event in progress, or NaN when none. */
  private curTs = NaN;
  private curEvent = -1;
  /** Longest duration seen for the current segment, in ticks. */
  private curDuration = 0;
  /** Ticks of earlier 0xFFFF-tick segments of a long event. */
  private curBase = 0;
  /** Start timestamp of the current (possibly multi-segment) event. */
  private curStart = 0;
  /** Segment timestamp of the last reported event, to drop its end retransmissions and stragglers. */
  private doneTs = 0;
  private hasDone = false;

  constructor(private readonly onDigit: (ev: DtmfEvent) => void) {}

  /** Feed one telephone-event payload with its timestamp (RTP ticks or call-timeline ticks). */
  push(payload: Buffer, ts: number): void {
    if (payload.length < 4) return;
    const event = payload[0];
    const end = (payload[1] & 0x80) !== 0;
    const duration = payload.readUInt16BE(2);
    if (dtmfDigitOf(event) === null) return;
    // Redundant end packet, or a straggler from an event already reported. The signed
    // 32-bit difference keeps this right across raw RTP timestamp wrap-around.
    if (this.hasDone && ((ts - this.doneTs) | 0) <= 0) return;

    if (ts !== this.curTs || event !== this.curEvent) {
      const continues =
        event === this.curEvent &&
        this.curDuration === MAX_SEGMENT_TICKS &&
        ((ts - this.curTs) >>> 0) === MAX_SEGMENT_TICKS;
      if (continues) {
        // Long press: next segment starts where the full one ended.
        this.curBase += MAX_SEGMENT_TICKS;
      } else {
        if (this.curEvent >= 0) this.emit(); // previous event lost all its end packets
        this.curBase = 0;
        this.curStart = ts;
        this.curEvent = event;
      }
      this.curTs = ts;
      this.curDuration = 0;
    }
    if (duration > this.curDuration) this.curDuration = duration;
    if (end) this.emit();
  }

  /** Report an event still in progress (end of stream, or its end packets were lost). */
  flush(): void {
    if (this.curEvent >= 0) this.emit();
  }

  private emit(): void {
    this.onDigit({
      digit: DIGITS[this.curEvent],
      startTs: this.curStart,
      durationTicks: this.curBase + this.curDuration,
    });
    this.doneTs = this.curTs;
    this.hasDone = true;
    this.curTs = NaN;
    this.curEvent = -1;
    this.curDuration = 0;
    this.curBase = 0;
  }
}
