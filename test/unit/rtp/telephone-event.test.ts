import { describe, expect, it } from 'vitest';
import {
  buildTelephoneEvent,
  parseTelephoneEvent,
  TelephoneEventTracker,
  type DtmfEvent,
} from '../../../src/ingest/rtp/telephone-event.js';

/** RFC 4733 packets for one key press: growing durations every 160 ticks, then `ends` end packets. */
function keyPress(event: number, ts: number, durationTicks: number, ends = 3): Array<[Buffer, number]> {
  const out: Array<[Buffer, number]> = [];
  for (let d = 160; d < durationTicks; d += 160) out.push([buildTelephoneEvent({ event, end: false, volume: 10, duration: d }), ts]);
  for (let i = 0; i < ends; i++) out.push([buildTelephoneEvent({ event, end: true, volume: 10, duration: durationTicks }), ts]);
  return out;
}

function track(packets: Array<[Buffer, number]>, flush = false): DtmfEvent[] {
  const got: DtmfEvent[] = [];
  const t = new TelephoneEventTracker((ev) => got.push(ev));
  for (const [p, ts] of packets) t.push(p, ts);
  if (flush) t.flush();
  return got;
}

describe('telephone-event payloads', () => {
  it('round-trips event, end bit, volume and duration', () => {
    const ev = { event: 11, end: true, volume: 37, duration: 1234 };
    expect(parseTelephoneEvent(buildTelephoneEvent(ev))).toEqual(ev);
    expect(parseTelephoneEvent(Buffer.from([1, 2, 3]))).toBeNull();
  });
});

describe('TelephoneEventTracker', () => {
  it('reports one event per key press with its full duration, despite 3 end packets', () => {
    const got = track([...keyPress(5, 8000, 960), ...keyPress(11, 16000, 800), ...keyPress(16, 24000, 1600)]);
    expect(got).toEqual([
      { digit: '5', startTs: 8000, durationTicks: 960 },
      { digit: '#', startTs: 16000, durationTicks: 800 },
      { digit: 'flash', startTs: 24000, durationTicks: 1600 },
    ]);
  });

  it('maps all 16 DTMF codes', () => {
    const packets = Array.from({ length: 16 }, (_, e) => keyPress(e, 1000 * e, 480)).flat();
    expect(track(packets).map((e) => e.digit).join('')).toBe('0123456789*#ABCD');
  });

  it('reports a press whose end packets were all lost when the next press starts', () => {
    const first = keyPress(1, 8000, 960).slice(0, -3); // no end packets
    const got = track([...first, ...keyPress(2, 16000, 640)]);
    expect(got).toEqual([
      { digit: '1', startTs: 8000, durationTicks: 800 },
      { digit: '2', startTs: 16000, durationTicks: 640 },
    ]);
  });

  it('reports a press in progress on flush, once', () => {
    const got = track(keyPress(9, 8000, 960).slice(0, 3), true);
    expect(got).toEqual([{ digit: '9', startTs: 8000, durationTicks: 480 }]);
  });

  it('ignores end retransmissions and stragglers that arrive after the report', () => {
    const p = keyPress(7, 8000, 960);
    const reordered = [p[0]!, p[1]!, p[5]!, p[2]!, p[3]!, p[6]!, p[4]!, p[7]!];
    expect(track(reordered, true)).toEqual([{ digit: '7', startTs: 8000, durationTicks: 960 }]);
  });

  it('handles raw RTP timestamps across the 2^32 wrap', () => {
    const got = track([...keyPress(3, 2 ** 32 - 100, 480), ...keyPress(4, 2000, 480)], true);
    expect(got.map((e) => e.digit)).toEqual(['3', '4']);
  });

  it('joins the segments of an event longer than 0xFFFF ticks', () => {
    const seg1: Array<[Buffer, number]> = [
      [buildTelephoneEvent({ event: 0, end: false, volume: 10, duration: 30000 }), 1000],
      [buildTelephoneEvent({ event: 0, end: false, volume: 10, duration: 0xffff }), 1000],
    ];
    const seg2 = keyPress(0, 1000 + 0xffff, 800);
    expect(track([...seg1, ...seg2])).toEqual([{ digit: '0', startTs: 1000, durationTicks: 0xffff + 800 }]);
  });

  it('ignores non-DTMF events (fax tones)', () => {
    expect(track(keyPress(36, 8000, 960), true)).toEqual([]);
  });
});
