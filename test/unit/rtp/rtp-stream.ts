// Builders for synthetic RTP streams used by the RTP unit tests.

import { buildRtp, parseRtp, type RtpPacket } from '../../../src/ingest/rtp/rtp-packet.js';
import { JitterBuffer, type JitterBufferOptions, type TimelineItem } from '../../../src/ingest/rtp/jitter-buffer.js';

/** PCMU bytes per 20 ms packet at 8 kHz, also its duration in ticks. */
export const PTIME_TICKS = 160;
/** PCMU silence byte used to fill gaps when rendering. */
export const SILENCE = 0xff;

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A PCMU packet whose 160 payload bytes all equal `fill` (default: packet index k mod
 * 250, never 0xff), so a rendered timeline shows which packet landed where.
 */
export function pcmu(opts: {
  k: number;
  seq0?: number;
  ts0?: number;
  ssrc?: number;
  marker?: boolean;
  tsOffset?: number;
  fill?: number;
  pt?: number;
}): RtpPacket {
  const payload = Buffer.alloc(PTIME_TICKS, opts.fill ?? opts.k % 250);
  const pkt = parseRtp(
    buildRtp({
      payloadType: opts.pt ?? 0,
      sequence: ((opts.seq0 ?? 1000) + opts.k) & 0xffff,
      timestamp: ((opts.ts0 ?? 5000) + opts.k * PTIME_TICKS + (opts.tsOffset ?? 0)) >>> 0,
      ssrc: opts.ssrc ?? 0x1234,
      marker: opts.marker ?? false,
      payload,
    }),
  );
  if (!pkt) throw new Error('test packet did not parse');
  return pkt;
}

/** A jitter buffer collecting its output; PCMU at 8 kHz by default. */
export function collectingBuffer(opts: Partial<JitterBufferOptions> = {}): {
  jb: JitterBuffer;
  out: TimelineItem[];
  events: TimelineItem[];
} {
  const out: TimelineItem[] = [];
  const events: TimelineItem[] = [];
  const jb = new JitterBuffer({
    clockRate: 8000,
    callStartMs: 1_000_000,
    onAudio: (item) => out.push(item),
    onEvent: (item) => events.push(item),
    ...opts,
  });
  return { jb, out, events };
}

/** Lay released items on a byte timeline (PCMU: 1 byte per tick), silence in gaps. */
export function render(items: readonly TimelineItem[]): { start: number; bytes: Uint8Array } {
  if (items.length === 0) return { start: 0, bytes: new Uint8Array(0) };
  const start = items[0]!.callTs;
  const last = items[items.length - 1]!;
  const bytes = new Uint8Array(last.callTs + last.ticks - start).fill(SILENCE);
  for (const it of items) bytes.set(it.payload, it.callTs - start);
  return { start, bytes };
}

/** Throws unless items are strictly increasing by callTs and never overlap. */
export function assertMonotonic(items: readonly TimelineItem[]): void {
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1]!;
    const b = items[i]!;
    if (!(b.callTs >= a.callTs + a.ticks && b.callTs > a.callTs)) {
      throw new Error(`item ${i} at ${b.callTs} overlaps previous at ${a.callTs}+${a.ticks}`);
    }
  }
}
