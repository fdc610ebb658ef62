import { describe, expect, it } from 'vitest';
import { SeqUnwrapper, TimestampUnwrapper } from '../../../src/ingest/rtp/seq-unwrap.js';
import { SeenWindow } from '../../../src/ingest/rtp/seen-window.js';

describe('SeqUnwrapper', () => {
  it('keeps counting across 65535 → 0', () => {
    const u = new SeqUnwrapper();
    const ext = [65533, 65534, 65535, 0, 1, 2].map((s) => u.unwrap(s));
    for (let i = 1; i < ext.length; i++) expect(ext[i]! - ext[i - 1]!).toBe(1);
  });

  it('places a packet reordered across the wrap before the wrap', () => {
    const u = new SeqUnwrapper();
    const a = u.unwrap(65534);
    const c = u.unwrap(0);
    const b = u.unwrap(65535); // arrives late, belongs before 0
    expect([b - a, c - b]).toEqual([1, 1]);
    expect(u.highest).toBe(c);
  });

  it('handles a packet from before the first one across the wrap (stays positive)', () => {
    const u = new SeqUnwrapper();
    const first = u.unwrap(3);
    const earlier = u.unwrap(65534);
    expect(first - earlier).toBe(5);
    expect(earlier).toBeGreaterThan(0);
  });

  it('treats a gap below MAX_DROPOUT as loss', () => {
    const u = new SeqUnwrapper();
    const a = u.unwrap(100);
    expect(u.unwrap(2099) - a).toBe(1999);
  });

  it('needs two consecutive packets to accept a sender restart, then continues monotonically', () => {
    const u = new SeqUnwrapper();
    u.unwrap(40000);
    const top = u.unwrap(40001);
    expect(u.unwrap(7)).toBe(-1); // lone jump: unconfirmed
    const restarted = u.unwrap(8); // confirmed
    expect(restarted).toBe(top + 2);
    expect(u.unwrap(9)).toBe(top + 3);
  });

  it('ignores a lone stray far packet and keeps the old numbering', () => {
    const u = new SeqUnwrapper();
    const a = u.unwrap(500);
    expect(u.unwrap(20000)).toBe(-1);
    expect(u.unwrap(501)).toBe(a + 1);
  });
});

describe('TimestampUnwrapper', () => {
  it('keeps counting across 2^32 → 0', () => {
    const u = new TimestampUnwrapper();
    const a = u.unwrap(2 ** 32 - 160);
    const b = u.unwrap(0);
    const c = u.unwrap(160);
    expect([b - a, c - b]).toEqual([160, 160]);
    expect(c).toBe(2 ** 32 + 160);
  });

  it('steps back for a packet reordered across the wrap', () => {
    const u = new TimestampUnwrapper();
    const a = u.unwrap(2 ** 32 - 320);
    const c = u.unwrap(0);
    const b = u.unwrap(2 ** 32 - 160);
    expect([b - a, c - b]).toEqual([160, 160]);
    expect(u.peek(160)).toBe(c + 160);
  });

  it('reads a large backward jump as backward (a reset), not as a forward wrap', () => {
    const u = new TimestampUnwrapper();
    const a = u.unwrap(1_000_000_000);
    expect(u.unwrap(0) - a).toBe(-1_000_000_000);
  });
});

describe('SeenWindow', () => {
  it('reports duplicates within the window, forgets beyond it', () => {
    const w = new SeenWindow();
    expect(w.testAndSet(70000)).toBe(false);
    expect(w.testAndSet(70002)).toBe(false);
    expect(w.testAndSet(70001)).toBe(false); // reordered, first time
    expect(w.testAndSet(70001)).toBe(true);
    expect(w.testAndSet(70000)).toBe(true);
    expect(w.testAndSet(70002 + 1024)).toBe(false);
    expect(w.testAndSet(70002 + 1024)).toBe(true);
    // Slots reused after sliding must not report stale numbers as seen.
    expect(w.testAndSet(70001 + 1024)).toBe(false);
  });
});
