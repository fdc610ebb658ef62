import { describe, expect, it } from 'vitest';
import { FrameReorder } from '../../../src/ingest/ws/frame-reorder.js';

function frame(value: number, n = 160): Int16Array {
  return new Int16Array(n).fill(value);
}

function collect(window: number) {
  const out: Array<[number, number]> = [];
  const recycled: Int16Array[] = [];
  const r = new FrameReorder(window, (pos, pcm) => out.push([pos, pcm[0]]), (p) => recycled.push(p));
  return { r, out, recycled };
}

describe('FrameReorder', () => {
  it('releases in position order once a frame a window newer arrives', () => {
    const { r, out } = collect(320);
    r.push(160, frame(2));
    r.push(0, frame(1));
    expect(out).toEqual([]);
    r.push(320, frame(3));
    expect(out).toEqual([[0, 1]]);
    r.push(480, frame(4));
    expect(out).toEqual([[0, 1], [160, 2]]);
    r.drain();
    expect(out.map(([p]) => p)).toEqual([0, 160, 320, 480]);
  });

  it('drops a duplicate of a held frame and a frame older than what was released, and recycles both', () => {
    const { r, out, recycled } = collect(320);
    for (let k = 0; k < 5; k++) expect(r.push(k * 160, frame(k))).toBe('held');
    expect(r.push(640, frame(99))).toBe('duplicate');
    expect(r.push(0, frame(98))).toBe('late');
    r.drain();
    expect(out.map(([, v]) => v)).toEqual([0, 1, 2, 3, 4]);
    expect(r.counters).toEqual({ released: 5, late: 1, duplicate: 1 });
    expect(recycled).toHaveLength(7);
  });

  it('keeps a gap as a gap and places a frame that overlaps released audio (the recorder trims it)', () => {
    const { r, out } = collect(0);
    r.push(0, frame(1));
    r.push(1600, frame(2)); // 200 ms later: a gap
    expect(r.push(1680, frame(3))).toBe('held'); // overlaps the end of the released frame at 1600
    expect(out).toEqual([[0, 1], [1600, 2], [1680, 3]]);
  });

  it('stays correct over many frames with bounded reordering', () => {
    const { r, out } = collect(1600);
    const order = Array.from({ length: 2000 }, (_, k) => k);
    for (let k = 0; k + 3 < order.length; k += 7) [order[k], order[k + 3]] = [order[k + 3], order[k]];
    for (const k of order) r.push(k * 160, frame(k & 0x7fff));
    r.drain();
    expect(out.map(([p]) => p / 160)).toEqual(Array.from({ length: 2000 }, (_, k) => k));
  });
});
