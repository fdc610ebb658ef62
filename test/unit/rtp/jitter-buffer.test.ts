import { describe, expect, it } from 'vitest';
import { buildTelephoneEvent, TelephoneEventTracker, type DtmfEvent } from '../../../src/ingest/rtp/telephone-event.js';
import { assertMonotonic, collectingBuffer, pcmu, prng, PTIME_TICKS, render, SILENCE } from './rtp-stream.js';

const CALL = 1_000_000; // callStartMs used by collectingBuffer
const T0 = CALL + 100; // first arrival: 100 ms into the call = 800 ticks

/** Expected bytes of packet k as written by pcmu(). */
const fillOf = (k: number): number => k % 250;

describe('JitterBuffer placement', () => {
  it('anchors the first packet by arrival and the rest by timestamp, contiguous', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 50; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    jb.drain();
    expect(out).toHaveLength(50);
    expect(out[0]!.callTs).toBe(800);
    out.forEach((it, k) => {
      expect(it.callTs).toBe(800 + k * PTIME_TICKS);
      expect(it.payload[0]).toBe(fillOf(k));
    });
    expect(jb.stats()).toMatchObject({ received: 50, released: 50, duplicates: 0, late: 0, reordered: 0 });
  });

  it('releases shuffled packets (within the window) in timestamp order, sample-exact', () => {
    const rnd = prng(7);
    const { jb, out } = collectingBuffer();
    // Each packet is delayed 0..40 ms (window 60 ms), so arrival order is shuffled.
    const arrivals = Array.from({ length: 200 }, (_, k) => ({ k, at: T0 + 20 * k + Math.floor(rnd() * 40) }));
    arrivals.sort((a, b) => a.at - b.at || a.k - b.k);
    const first = arrivals[0]!;
    for (const { k, at } of arrivals) jb.push(pcmu({ k }), at);
    jb.drain();

    const s = jb.stats();
    let maxK = -1;
    const expectedReordered = arrivals.filter(({ k }) => (k < maxK ? true : ((maxK = k), false))).length;
    expect(expectedReordered).toBeGreaterThan(5); // the shuffle really shuffled
    expect(s.reordered).toBe(expectedReordered);
    expect(s).toMatchObject({ released: 200, late: 0, duplicates: 0, overlaps: 0 });
    // The first arrival anchors; every other packet sits at its timestamp offset.
    const base = Math.round((first.at - CALL) * 8) - first.k * PTIME_TICKS;
    const { start, bytes } = render(out);
    expect(start).toBe(base);
    expect(bytes.length).toBe(200 * PTIME_TICKS);
    for (let k = 0; k < 200; k++) {
      expect(bytes[k * PTIME_TICKS]).toBe(fillOf(k));
      expect(bytes[k * PTIME_TICKS + PTIME_TICKS - 1]).toBe(fillOf(k));
    }
  });

  it('drops duplicates, whether still held or already released', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 30; k++) {
      jb.push(pcmu({ k }), T0 + 20 * k);
      jb.push(pcmu({ k }), T0 + 20 * k + 1); // immediate duplicate (still held)
      if (k >= 10) jb.push(pcmu({ k: k - 10 }), T0 + 20 * k + 2); // duplicate of released audio
    }
    jb.drain();
    expect(out.map((it) => it.payload[0])).toEqual(Array.from({ length: 30 }, (_, k) => fillOf(k)));
    expect(jb.stats()).toMatchObject({ received: 80, released: 30, duplicates: 50, late: 0 });
  });

  it('drops a same-timestamp packet with a new sequence number as a duplicate', () => {
    const { jb, out } = collectingBuffer();
    jb.push(pcmu({ k: 0 }), T0);
    jb.push(pcmu({ k: 1 }), T0 + 20);
    jb.push(pcmu({ k: 1, seq0: 1001, fill: 77 }), T0 + 21); // new seq 1002, same timestamp as k=1
    jb.drain();
    expect(out.map((it) => it.payload[0])).toEqual([0, 1]);
    expect(jb.stats().duplicates).toBe(1);
  });

  it('leaves a gap of exactly the lost ticks', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 20; k++) if (k !== 10 && k !== 11) jb.push(pcmu({ k }), T0 + 20 * k);
    jb.drain();
    const i = out.findIndex((it) => it.payload[0] === fillOf(12));
    const before = out[i - 1]!;
    expect(before.payload[0]).toBe(fillOf(9));
    expect(out[i]!.callTs - (before.callTs + before.ticks)).toBe(2 * PTIME_TICKS);
    const { bytes } = render(out);
    expect(bytes.subarray(10 * PTIME_TICKS, 12 * PTIME_TICKS).every((b) => b === SILENCE)).toBe(true);
    expect(bytes[12 * PTIME_TICKS]).toBe(fillOf(12));
  });

  it('places audio after a 2 s silence-suppression gap (marker bit) 2 s later', () => {
    const { jb, out } = collectingBuffer();
    const gapTicks = 2 * 8000;
    for (let k = 0; k < 50; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    for (let k = 50; k < 60; k++) {
      jb.push(pcmu({ k, tsOffset: gapTicks, marker: k === 50 }), T0 + 20 * k + 2000 + 3); // 3 ms network jitter
    }
    jb.drain();
    const after = out[50]!;
    expect(after.marker).toBe(true);
    expect(after.callTs - out[49]!.callTs).toBe(PTIME_TICKS + gapTicks);
    expect(jb.stats()).toMatchObject({ released: 60, timestampJumps: 0 });
  });

  it('places a burst (50 packets in the same ms) by timestamp', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 50; k++) jb.push(pcmu({ k }), T0);
    for (let k = 50; k < 60; k++) jb.push(pcmu({ k }), T0 + 20 * k); // back to real time
    jb.drain();
    expect(out.map((it) => it.callTs)).toEqual(Array.from({ length: 60 }, (_, k) => 800 + k * PTIME_TICKS));
    expect(jb.stats()).toMatchObject({ released: 60, timestampJumps: 0, late: 0 });
  });

  it('drops and counts a packet that arrives after its slot was released', () => {
    const { jb, out } = collectingBuffer();
    const arrivals = Array.from({ length: 30 }, (_, k) => ({ k, at: T0 + 20 * k + (k === 5 ? 200 : 0) }));
    arrivals.sort((a, b) => a.at - b.at); // packet 5 arrives 200 ms late, window is 60 ms
    for (const { k, at } of arrivals) jb.push(pcmu({ k }), at);
    jb.drain();
    expect(jb.stats()).toMatchObject({ late: 1, released: 29, reordered: 1 });
    expect(out.some((it) => it.payload[0] === fillOf(5))).toBe(false);
    const { bytes } = render(out);
    expect(bytes.subarray(5 * PTIME_TICKS, 6 * PTIME_TICKS).every((b) => b === SILENCE)).toBe(true);
  });

  it('drops and counts a packet that would overlap released audio', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 20; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    // Packets 0..15 are released (16..19 held). This one starts half-way into packet 15.
    jb.push(pcmu({ k: 15, tsOffset: 80, seq0: 1005 }), T0 + 400);
    jb.drain();
    assertMonotonic(out);
    expect(jb.stats()).toMatchObject({ overlaps: 1, released: 20 });
  });

  it('handles sequence wrap at 65535 and timestamp wrap at 2^32 in one stream', () => {
    const { jb, out } = collectingBuffer();
    const ts0 = 2 ** 32 - 30 * PTIME_TICKS;
    const order = Array.from({ length: 100 }, (_, k) => k);
    [order[35], order[36]] = [order[36]!, order[35]!]; // reorder across the sequence wrap (k=36 is seq 0)
    order.forEach((k, i) => jb.push(pcmu({ k, seq0: 65500, ts0 }), T0 + 20 * i));
    jb.drain();
    expect(out.map((it) => it.callTs)).toEqual(Array.from({ length: 100 }, (_, k) => 800 + k * PTIME_TICKS));
    expect(jb.stats()).toMatchObject({ released: 100, duplicates: 0, late: 0, timestampJumps: 0 });
  });
});

describe('JitterBuffer re-anchoring', () => {
  it('re-anchors a new SSRC by arrival', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 50; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    const bAt = T0 + 1500.3; // new source after a 500 ms pause, unrelated seq/ts
    for (let k = 0; k < 10; k++) jb.push(pcmu({ k, ssrc: 0x9999, seq0: 7, ts0: 123456789, fill: 200 }), bAt + 20 * k);
    jb.drain();
    const b = out.filter((it) => it.ssrc === 0x9999);
    expect(b[0]!.callTs).toBe(Math.round((bAt - CALL) * 8));
    b.forEach((it, k) => expect(it.callTs).toBe(b[0]!.callTs + k * PTIME_TICKS));
    expect(jb.stats()).toMatchObject({ ssrcChanges: 1, released: 60 });
  });

  it('never places a new SSRC over audio already placed', () => {
    const { jb, out } = collectingBuffer();
    // Source A bursts 400 ms of audio at once, so its timeline runs ahead of the wall clock.
    for (let k = 0; k < 20; k++) jb.push(pcmu({ k }), T0);
    jb.push(pcmu({ k: 0, ssrc: 0x9999, ts0: 42, fill: 200 }), T0 + 100);
    jb.drain();
    assertMonotonic(out);
    const b = out.find((it) => it.ssrc === 0x9999)!;
    expect(b.callTs).toBe(800 + 20 * PTIME_TICKS); // right after A, not at its arrival (1600)
    expect(jb.stats()).toMatchObject({ released: 21, overlaps: 0 });
  });

  it('places a reordered straggler of the previous SSRC without another change', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 10; k++) if (k !== 9) jb.push(pcmu({ k }), T0 + 20 * k);
    jb.push(pcmu({ k: 0, ssrc: 0x9999, ts0: 42, fill: 200 }), T0 + 200);
    jb.push(pcmu({ k: 9 }), T0 + 201); // A's last packet, reordered behind B's first
    jb.push(pcmu({ k: 1, ssrc: 0x9999, ts0: 42, fill: 201 }), T0 + 220);
    jb.drain();
    assertMonotonic(out);
    expect(out.map((it) => it.payload[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 200, 201]);
    expect(jb.stats().ssrcChanges).toBe(1);
  });

  it('re-anchors by arrival when the sender resets its timestamp', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 50; k++) jb.push(pcmu({ k, ts0: 1_000_000_000 }), T0 + 20 * k);
    // Same SSRC and sequence run, but the timestamp restarts near 0.
    for (let k = 50; k < 80; k++) jb.push(pcmu({ k, ts0: 0, tsOffset: -50 * PTIME_TICKS + 320 }), T0 + 20 * k);
    jb.drain();
    expect(jb.stats()).toMatchObject({ timestampJumps: 1, released: 80, late: 0 });
    expect(out.map((it) => it.callTs)).toEqual(Array.from({ length: 80 }, (_, k) => 800 + k * PTIME_TICKS));
  });

  describe('a backlog drained after this process stalled', () => {
    // 50 packets on time, then the event loop is away for 3 s: the next 150 packets (3 s of
    // audio) are processed in one burst at the end of the stall, then the stream is on time.
    function stalledStream(receiveLagMs?: () => number): ReturnType<typeof collectingBuffer> {
      const buffer = collectingBuffer(receiveLagMs ? { receiveLagMs } : {});
      for (let k = 0; k < 50; k++) buffer.jb.push(pcmu({ k }), T0 + 20 * k);
      const burstAt = T0 + 20 * 50 + 3000;
      for (let k = 50; k < 200; k++) buffer.jb.push(pcmu({ k }), burstAt + (k - 50) * 0.01);
      for (let k = 200; k < 250; k++) buffer.jb.push(pcmu({ k }), T0 + 20 * k);
      buffer.jb.drain();
      return buffer;
    }

    it('keeps timestamp placement when the delay is within the receive lag', () => {
      const { jb, out } = stalledStream(() => 3000);
      expect(jb.stats()).toMatchObject({ timestampJumps: 0, released: 250, late: 0, overlaps: 0 });
      expect(out.map((it) => it.callTs)).toEqual(Array.from({ length: 250 }, (_, k) => 800 + k * PTIME_TICKS));
    });

    it('without it, takes the burst for a sender jump and shifts the audio (what the lag is for)', () => {
      const { jb, out } = stalledStream();
      expect(jb.stats().timestampJumps).toBeGreaterThan(0);
      expect(out.some((it, k) => it.callTs !== 800 + k * PTIME_TICKS)).toBe(true);
    });

    it('still re-anchors a late stream whose delay exceeds the lag (a sender that paused its clock)', () => {
      const { jb } = stalledStream(() => 500);
      expect(jb.stats().timestampJumps).toBeGreaterThan(0);
    });
  });

  it('keeps timestamp placement while a receive backlog deepens gradually past the threshold, then drains', () => {
    // An overloaded process reads each packet 1 ms later than the one before: after 3,000
    // packets it is 3 s behind (three times the re-anchor threshold), with no stall the
    // lag gauge could see. Then it catches up in bursts of 2 ms per packet.
    const { jb, out } = collectingBuffer();
    let at = T0;
    for (let k = 0; k < 3000; k++) jb.push(pcmu({ k }), (at += k === 0 ? 0 : 21));
    for (let k = 3000; k < 4500; k++) jb.push(pcmu({ k }), (at = Math.max(T0 + 20 * k, at + 2)));
    jb.drain();
    expect(jb.stats()).toMatchObject({ timestampJumps: 0, released: 4500, late: 0, overlaps: 0 });
    expect(out.map((it) => it.callTs)).toEqual(Array.from({ length: 4500 }, (_, k) => 800 + k * PTIME_TICKS));
  });

  it('re-anchors by arrival on a forward timestamp jump of 10 minutes', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 20; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    for (let k = 20; k < 30; k++) jb.push(pcmu({ k, tsOffset: 600 * 8000 }), T0 + 20 * k);
    jb.drain();
    expect(jb.stats().timestampJumps).toBe(1);
    expect(out[29]!.callTs).toBe(800 + 29 * PTIME_TICKS);
  });

  it('does not re-anchor on the marker bit alone', () => {
    const { jb, out } = collectingBuffer();
    for (let k = 0; k < 20; k++) jb.push(pcmu({ k, marker: k % 5 === 4 }), T0 + 20 * k + (k % 5 === 4 ? 30 : 0));
    jb.drain();
    expect(out.map((it) => it.callTs)).toEqual(Array.from({ length: 20 }, (_, k) => 800 + k * PTIME_TICKS));
  });

  it('anchors two streams of one call on the shared call start, within 1 tick of their arrival offset', () => {
    const a = collectingBuffer();
    const b = collectingBuffer();
    const aAt = CALL + 123.4; // ms
    const bAt = CALL + 456.7;
    for (let k = 0; k < 10; k++) {
      a.jb.push(pcmu({ k, ssrc: 1, seq0: 11, ts0: 3_000_000_000 }), aAt + 20 * k);
      b.jb.push(pcmu({ k, ssrc: 2, seq0: 60000, ts0: 17 }), bAt + 20 * k);
    }
    a.jb.drain();
    b.jb.drain();
    expect(Math.abs(a.out[0]!.callTs - (aAt - CALL) * 8)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.out[0]!.callTs - (bAt - CALL) * 8)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.out[0]!.callTs - a.out[0]!.callTs - (bAt - aAt) * 8)).toBeLessThanOrEqual(1);
  });
});

describe('JitterBuffer release', () => {
  it('holds packets for the window and releases them packet-driven, without timers', () => {
    const { jb, out } = collectingBuffer({ windowMs: 60 });
    for (let k = 0; k < 4; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    expect(out).toHaveLength(0); // newest is only 60 ms ahead of packet 0
    jb.push(pcmu({ k: 4 }), T0 + 80);
    expect(out.map((it) => it.payload[0])).toEqual([0]);
    expect(jb.stats().held).toBe(4);
  });

  it('flushOlderThan releases what has waited a window of wall-clock time', () => {
    const { jb, out } = collectingBuffer({ windowMs: 60 });
    jb.push(pcmu({ k: 0 }), T0);
    jb.push(pcmu({ k: 1 }), T0 + 20);
    jb.push(pcmu({ k: 2 }), T0 + 40);
    jb.flushOlderThan(T0 + 80); // packets that arrived by T0 + 20
    expect(out.map((it) => it.payload[0])).toEqual([0, 1]);
    jb.flushOlderThan(T0 + 100);
    expect(out.map((it) => it.payload[0])).toEqual([0, 1, 2]);
    expect(jb.stats().held).toBe(0);
  });

  it('keeps every invariant under random loss, duplication, reordering and jitter', () => {
    const rnd = prng(2024);
    const { jb, out } = collectingBuffer();
    const sent: Array<{ k: number; at: number }> = [];
    for (let k = 0; k < 3000; k++) {
      if (rnd() < 0.03) continue; // loss
      const at = T0 + 20 * k + rnd() * 50;
      sent.push({ k, at });
      if (rnd() < 0.03) sent.push({ k, at: at + rnd() * 300 }); // duplicate, maybe late
      if (rnd() < 0.01) sent.push({ k, at: at + 100 + rnd() * 200 }); // straggler copy, late
    }
    sent.sort((x, y) => x.at - y.at);
    for (const { k, at } of sent) jb.push(pcmu({ k, seq0: 64000, ts0: 2 ** 32 - 100_000 }), at);
    jb.drain();

    assertMonotonic(out);
    // Each released payload sits exactly where its timestamp says, relative to packet 0's slot.
    const anchorK = sent[0]!.k;
    const base = Math.round((sent[0]!.at - CALL) * 8) - anchorK * PTIME_TICKS;
    for (const it of out) {
      const k = (it.callTs - base) / PTIME_TICKS;
      expect(Number.isInteger(k)).toBe(true);
      expect(it.payload[0]).toBe(fillOf(k));
    }
    const s = jb.stats();
    expect(s.received).toBe(sent.length);
    expect(s.released + s.duplicates + s.late + s.overlaps).toBe(s.received);
    expect(new Set(out.map((it) => it.callTs)).size).toBe(out.length);
  });
});

describe('JitterBuffer telephone events', () => {
  it('sends telephone events around the audio timeline and they decode to one digit', () => {
    const digits: DtmfEvent[] = [];
    const tracker = new TelephoneEventTracker((d) => digits.push(d));
    const { jb, out, events } = collectingBuffer({ eventPayloadTypes: [101] });
    for (let k = 0; k < 10; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    // Key '8' pressed at k=10: five event packets share the start timestamp, then 3 ends.
    const evTs = 5000 + 10 * PTIME_TICKS;
    const durations = [160, 320, 480, 640, 640, 640];
    durations.forEach((d, i) => {
      const pkt = pcmu({ k: 10 + i, pt: 101 });
      const ev = { ...pkt, timestamp: evTs, payload: buildTelephoneEvent({ event: 8, end: i >= 3, volume: 10, duration: d }) };
      jb.push(ev, T0 + 20 * (10 + i));
    });
    for (let k = 16; k < 20; k++) jb.push(pcmu({ k }), T0 + 20 * k);
    jb.drain();
    for (const e of events) tracker.push(e.payload, e.callTs);

    expect(events).toHaveLength(6);
    expect(events.every((e) => e.callTs === 800 + 10 * PTIME_TICKS)).toBe(true);
    expect(out.every((it) => it.payloadType === 0)).toBe(true);
    expect(out).toHaveLength(14);
    expect(digits).toEqual([{ digit: '8', startTs: 800 + 10 * PTIME_TICKS, durationTicks: 640 }]);
  });
});
