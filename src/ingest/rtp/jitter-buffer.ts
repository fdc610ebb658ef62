// Places one RTP stream's packets on the call-wide timeline (RTP ticks since call
// start) and releases them in order. The first packet of an SSRC is placed by its
// wall-clock arrival, so every stream of a call shares one time origin; later
// packets are placed by RTP timestamp, so silence suppression leaves gaps and
// bursts do not shift audio. A packet whose timestamp placement strays from its
// arrival by more than `reanchorMs` further than the previous packet's did means the
// sender's clock jumped: it is placed by arrival again. (Judged packet to packet, not
// against the anchor: an overloaded process that reads its sockets later and later
// builds up seconds of delay one small step at a time, which is no jump.) Every
// (re-)anchor is clamped to the end of audio already placed, so a new SSRC or a jump
// never overlaps earlier audio. The previous SSRC is kept too, so its reordered
// stragglers after a change are placed by their old anchor.
// Release is packet-driven: a packet leaves once a packet placed more than
// `windowMs` later has arrived (no timers); flushOlderThan/drain cover streams that
// go quiet or end.
//
// Packets late by no more than this process's own receive lag (`receiveLagMs`, see
// receive-lag.ts) keep their timestamp placement: they waited unread in the socket
// while the event loop was behind, which is no sender jump.
// Limitation: a network stall longer than reanchorMs followed by a catch-up burst
// looks like a sender that paused without advancing its timestamp (hold/resume),
// and is treated the same way: re-anchored by arrival, so the stream lands later by
// the stall. TCP-carried media (WebSocket) may want a larger reanchorMs.
//
// Per packet: O(1) in order, O(log n) search + a short shift when reordered, one
// item object allocated, payloads kept as views of the datagram (dgram gives each
// message its own Buffer, so holding a view is safe).

import type { RtpPacket } from './rtp-packet.js';
import { staticTicksOf, type TicksOf } from './payload-ticks.js';
import { SsrcTrack } from './ssrc-track.js';

/** One payload placed on the call timeline. */
export interface TimelineItem {
  /** Position in RTP ticks since call start (callStartMs). */
  callTs: number;
  /** Duration in RTP ticks, from ticksOf (0 for telephone events). */
  ticks: number;
  payloadType: number;
  payload: Buffer;
  ssrc: number;
  marker: boolean;
  /** Wall-clock arrival in ms (same clock as callStartMs), for latency metrics. */
  arrivalMs: number;
}

/** Options of one JitterBuffer (one per RTP stream). */
export interface JitterBufferOptions {
  /** RTP clock in ticks per second, e.g. 8000 (also for G.722). */
  clockRate: number;
  /** Wall-clock ms of the call's start, shared by all streams of the call. */
  callStartMs: number;
  /** Reorder window in ms of timeline; default 60. */
  windowMs?: number;
  /** Timestamp-vs-arrival disagreement in ms that counts as a sender clock jump; default 1000. */
  reanchorMs?: number;
  /** How long (ms) a packet processed now may have waited unread in this process; default 0. */
  receiveLagMs?: () => number;
  /** Duration of a payload in ticks; default staticTicksOf (one tick per byte for dynamic types). */
  ticksOf?: TicksOf;
  /** Payload types carrying RFC 4733 telephone events; they bypass the audio timeline. */
  eventPayloadTypes?: readonly number[];
  /** Receives audio in strictly increasing, non-overlapping callTs order. */
  onAudio: (item: TimelineItem) => void;
  /**
   * Receives telephone-event packets at once, never dropped as late (redundant ones
   * included: feed them to a TelephoneEventTracker with their callTs).
   */
  onEvent?: (item: TimelineItem) => void;
}

/** Packet counters of one JitterBuffer. */
export interface JitterBufferStats {
  received: number;
  released: number;
  events: number;
  duplicates: number;
  /** Placed entirely before audio already released. */
  late: number;
  /** Would have overlapped audio already released. */
  overlaps: number;
  /** Arrived after a packet with a higher sequence number. */
  reordered: number;
  ssrcChanges: number;
  /** Re-anchors caused by the RTP timestamp straying from arrival (sender jump or reset). */
  timestampJumps: number;
  /** Packets with an empty payload (keep-alives), ignored. */
  empty: number;
  /** Audio packets currently held for reordering. */
  held: number;
}

/** Compact the held array once this many released slots sit at its front. */
const COMPACT_AFTER = 32;

/** Orders one RTP stream's packets and places them on the call timeline. */
export class JitterBuffer {
  private readonly clockRate: number;
  private readonly callStartMs: number;
  private readonly windowMs: number;
  /** Reorder window in ticks. */
  private readonly windowTicks: number;
  /** Re-anchor threshold in ticks. */
  private readonly reanchorTicks: number;
  private readonly ticksOf: TicksOf;
  private readonly receiveLagMs: () => number;
  /** isEvent[pt] === 1 for telephone-event payload types. */
  private readonly isEvent = new Uint8Array(128);
  private readonly onAudio: (item: TimelineItem) => void;
  private readonly onEvent: ((item: TimelineItem) => void) | undefined;

  /** Current SSRC, and the one before it so its reordered stragglers do not count as a change. */
  private cur = new SsrcTrack();
  private prev = new SsrcTrack();

  /** Held audio sorted by callTs; live entries are [head, length). */
  private readonly held: (TimelineItem | undefined)[] = [];
  private head = 0;
  /** Highest callTs accepted (ticks); drives release. */
  private newest = -Infinity;
  /** Highest callTs + ticks accepted (held or released); floor for re-anchoring. */
  private timelineEnd = 0;
  /** End (ticks) of released audio: nothing may be released before it. Starts at call start. */
  private releasedEnd = 0;
  private lastReleasedTs = -1;

  private received = 0;
  private released = 0;
  private events = 0;
  private duplicates = 0;
  private late = 0;
  private overlaps = 0;
  private reordered = 0;
  private ssrcChanges = 0;
  private timestampJumps = 0;
  private empty = 0;

  constructor(opts: JitterBufferOptions) {
    if (!(opts.clockRate > 0)) throw new RangeError('clockRate must be > 0');
    this.clockRate = opts.clockRate;
    this.callStartMs = opts.callStartMs;
    this.windowMs = opts.windowMs ?? 60;
    this.windowTicks = Math.round((this.windowMs * this.clockRate) / 1000);
    this.reanchorTicks = Math.round(((opts.reanchorMs ?? 1000) * this.clockRate) / 1000);
    this.ticksOf = opts.ticksOf ?? staticTicksOf;
    this.receiveLagMs = opts.receiveLagMs ?? (() => 0);
    for (const pt of opts.eventPayloadTypes ?? []) this.isEvent[pt & 0x7f] = 1;
    this.onAudio = opts.onAudio;
    this.onEvent = opts.onEvent;
  }

  /** Accept one packet that arrived at wall-clock `arrivalMs`; may release audio through onAudio. */
  push(pkt: RtpPacket, arrivalMs: number): void {
    this.received++;
    if (pkt.payload.length === 0) {
      this.empty++;
      return;
    }
    const isEvent = this.isEvent[pkt.payloadType] === 1;
    // Where arrival alone would place this packet, in ticks since call start.
    const arrivalTicks = Math.round(((arrivalMs - this.callStartMs) * this.clockRate) / 1000);
    const t = this.trackFor(pkt.ssrc, pkt.timestamp, isEvent, arrivalTicks);

    const prevMaxSeq = t.seq.highest;
    const extSeq = t.seq.unwrap(pkt.sequence);
    // -1: a lone sequence jump (possible sender restart) that cannot be checked by number.
    const reordered = extSeq >= 0 && extSeq < prevMaxSeq;
    if (extSeq >= 0 && t.seen.testAndSet(extSeq)) {
      this.duplicates++;
      return;
    }
    if (reordered) this.reordered++;

    const callTs = this.place(t, pkt, isEvent, arrivalTicks, reordered);
    if (Number.isNaN(callTs)) {
      this.late++;
      return;
    }
    if (isEvent) {
      this.events++;
      if (this.onEvent) this.onEvent(this.item(pkt, callTs, 0, arrivalMs));
      return;
    }
    this.accept(pkt, callTs, arrivalMs);
  }

  /** Release held audio that arrived at least windowMs before wall-clock `nowMs` (for quiet streams). */
  flushOlderThan(nowMs: number): void {
    const cutoff = nowMs - this.windowMs;
    const held = this.held;
    // Held items are sorted by callTs, not arrival: release up to the last old enough one.
    let last = -1;
    for (let i = this.head; i < held.length; i++) if (held[i]!.arrivalMs <= cutoff) last = i;
    if (last >= 0) this.releaseThrough(held[last]!.callTs);
  }

  /** Release everything held (end of stream). */
  drain(): void {
    this.releaseThrough(Infinity);
  }

  /** Snapshot of the counters. */
  stats(): JitterBufferStats {
    return {
      received: this.received,
      released: this.released,
      events: this.events,
      duplicates: this.duplicates,
      late: this.late,
      overlaps: this.overlaps,
      reordered: this.reordered,
      ssrcChanges: this.ssrcChanges,
      timestampJumps: this.timestampJumps,
      empty: this.empty,
      held: this.held.length - this.head,
    };
  }

  /** The track for `ssrc`: current, a straggler of the previous one, or a new current one (SSRC change). */
  private trackFor(ssrc: number, ts: number, isEvent: boolean, arrivalTicks: number): SsrcTrack {
    const t = this.cur;
    if (!t.active) {
      t.start(ssrc);
      return t;
    }
    if (t.ssrc === ssrc) return t;
    const p = this.prev;
    // A reordered straggler of the previous SSRC keeps its old anchor.
    if (p.active && p.ssrc === ssrc && (isEvent || this.fits(p, ts, arrivalTicks))) return p;
    this.prev = t;
    this.cur = p;
    p.start(ssrc);
    this.ssrcChanges++;
    return p;
  }

  /**
   * Call-timeline ticks for the packet, anchoring or re-anchoring `t` by arrival when
   * needed; NaN for a reordered packet whose timestamp disagrees with arrival (it
   * predates a timestamp jump already re-anchored on, so it has no trustworthy spot).
   */
  private place(t: SsrcTrack, pkt: RtpPacket, isEvent: boolean, arrivalTicks: number, reordered: boolean): number {
    const extTs = t.ts.unwrap(pkt.timestamp);
    if (t.unanchored) return this.anchor(t, extTs, arrivalTicks, isEvent, pkt.payload);
    const callTs = t.place(extTs);
    // Telephone events and stragglers of the previous SSRC never move the anchor.
    if (isEvent || t !== this.cur) return callTs;
    const drift = t.drift(callTs, arrivalTicks);
    if (this.noJump(drift - t.lastDrift)) {
      t.lastDrift = drift;
      return callTs;
    }
    if (reordered) return NaN;
    this.timestampJumps++;
    t.ts.reset();
    return this.anchor(t, t.ts.unwrap(pkt.timestamp), arrivalTicks, false, pkt.payload);
  }

  /** Hold an audio packet for release, unless it is late, overlapping or a duplicate. */
  private accept(pkt: RtpPacket, callTs: number, arrivalMs: number): void {
    const ticks = this.ticksOf(pkt.payloadType, pkt.payload.length);
    // Zero-duration payloads (comfort noise) still occupy one tick so order stays strict.
    const end = callTs + (ticks > 0 ? ticks : 1);
    if (callTs < this.releasedEnd) {
      if (callTs === this.lastReleasedTs) this.duplicates++;
      else if (end <= this.releasedEnd) this.late++;
      else this.overlaps++;
      return;
    }
    if (!this.insert(this.item(pkt, callTs, ticks, arrivalMs))) {
      this.duplicates++;
      return;
    }
    if (callTs > this.newest) this.newest = callTs;
    if (end > this.timelineEnd) this.timelineEnd = end;
    this.releaseThrough(this.newest - this.windowTicks - 1);
  }

  /** True when `ts` of track `t` would land within the re-anchor threshold of its arrival. */
  private fits(t: SsrcTrack, ts: number, arrivalTicks: number): boolean {
    return this.noJump(t.drift(t.place(t.ts.peek(ts)), arrivalTicks) - t.lastDrift);
  }

  /** True when a change of drift (ticks) is within the threshold, or later by no more than the process's own receive lag allows. */
  private noJump(drift: number): boolean {
    if (drift <= this.reanchorTicks && drift >= -this.reanchorTicks) return true;
    return drift < 0 && -drift <= this.reanchorTicks + (this.receiveLagMs() * this.clockRate) / 1000;
  }

  /** Anchor `t` by arrival, never before audio already placed; returns the packet's callTs. */
  private anchor(t: SsrcTrack, extTs: number, arrivalTicks: number, isEvent: boolean, payload: Buffer): number {
    // A telephone event's timestamp is its start, `duration` ticks before this packet was sent.
    const at = isEvent && payload.length >= 4 ? arrivalTicks - payload.readUInt16BE(2) : arrivalTicks;
    const callTs = at < this.timelineEnd ? this.timelineEnd : at;
    t.anchor(extTs, callTs, at);
    return callTs;
  }

  private item(pkt: RtpPacket, callTs: number, ticks: number, arrivalMs: number): TimelineItem {
    return {
      callTs,
      ticks,
      payloadType: pkt.payloadType,
      payload: pkt.payload,
      ssrc: pkt.ssrc,
      marker: pkt.marker,
      arrivalMs,
    };
  }

  /** Insert in callTs order; false if an item with the same callTs is already held. */
  private insert(item: TimelineItem): boolean {
    const held = this.held;
    const len = held.length;
    const ts = item.callTs;
    if (len === this.head || held[len - 1]!.callTs < ts) {
      held.push(item); // in-order arrival: the common case
      return true;
    }
    let lo = this.head;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (held[mid]!.callTs < ts) lo = mid + 1;
      else hi = mid;
    }
    if (held[lo]!.callTs === ts) return false;
    held.push(undefined);
    for (let i = len; i > lo; i--) held[i] = held[i - 1];
    held[lo] = item;
    return true;
  }

  /** Release held items with callTs <= limit, in order, dropping any that overlap released audio. */
  private releaseThrough(limit: number): void {
    const held = this.held;
    // this.head advances before onAudio runs, so a throwing consumer leaves state consistent.
    while (this.head < held.length) {
      const item = held[this.head]!;
      if (item.callTs > limit) break;
      held[this.head++] = undefined; // let the datagram be collected
      if (item.callTs < this.releasedEnd) {
        this.overlaps++;
        continue;
      }
      this.released++;
      this.releasedEnd = item.callTs + (item.ticks > 0 ? item.ticks : 1);
      this.lastReleasedTs = item.callTs;
      this.onAudio(item);
    }
    if (this.head === held.length) {
      held.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER) {
      held.copyWithin(0, this.head);
      held.length -= this.head;
      this.head = 0;
    }
  }
}
