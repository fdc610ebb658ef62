import { describe, expect, it } from 'vitest';
import { deinterleave, downmixToMono, interleave, mixInto } from '../../../src/media/mix.js';

describe('interleave / deinterleave', () => {
  it('interleaves two channels frame by frame and splits them back', () => {
    const left = Int16Array.of(1, 2, 3);
    const right = Int16Array.of(-1, -2, -3);
    const stereo = interleave([left, right]);
    expect(Array.from(stereo)).toEqual([1, -1, 2, -2, 3, -3]);
    const [l, r] = deinterleave(stereo, 2);
    expect(l).toEqual(left);
    expect(r).toEqual(right);
  });

  it('pads a shorter channel with silence (one leg of a call started late)', () => {
    expect(Array.from(interleave([Int16Array.of(1, 2, 3), Int16Array.of(9)]))).toEqual([1, 9, 2, 0, 3, 0]);
  });

  it('handles 1 and 3 channels, returning fresh arrays', () => {
    const mono = Int16Array.of(5, 6);
    const same = interleave([mono]);
    expect(same).toEqual(mono);
    expect(same).not.toBe(mono);
    const three = interleave([Int16Array.of(1, 4), Int16Array.of(2, 5), Int16Array.of(3, 6)]);
    expect(Array.from(three)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(deinterleave(three, 3).map((c) => Array.from(c))).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(interleave([]).length).toBe(0);
  });

  it('rejects sample counts that are not whole frames', () => {
    expect(() => deinterleave(new Int16Array(5), 2)).toThrow(RangeError);
    expect(() => deinterleave(new Int16Array(4), 0)).toThrow(RangeError);
  });
});

describe('downmixToMono', () => {
  it('averages the channels, so full-scale agreement cannot clip', () => {
    const stereo = Int16Array.of(32767, 32767, -32768, -32768, 100, -100, 1000, 0);
    expect(Array.from(downmixToMono(stereo, 2))).toEqual([32767, -32768, 0, 500]);
  });

  it('averages more than two channels with rounding', () => {
    expect(Array.from(downmixToMono(Int16Array.of(1, 1, 2, 30000, 30000, 30000), 3))).toEqual([1, 30000]);
  });

  it('copies mono through', () => {
    const mono = Int16Array.of(1, 2);
    expect(downmixToMono(mono, 1)).toEqual(mono);
    expect(downmixToMono(mono, 1)).not.toBe(mono);
  });
});

describe('mixInto', () => {
  it('adds in place with saturation at both ends', () => {
    const target = Int16Array.of(30000, -30000, 100, 0);
    const result = mixInto(target, Int16Array.of(10000, -10000, -50, 7));
    expect(result).toBe(target);
    expect(Array.from(target)).toEqual([32767, -32768, 50, 7]);
  });

  it('mixes at an offset and ignores what falls past the end', () => {
    const target = new Int16Array(4);
    mixInto(target, Int16Array.of(1, 2, 3, 4, 5), 2);
    expect(Array.from(target)).toEqual([0, 0, 1, 2]);
    expect(() => mixInto(target, target, -1)).toThrow(RangeError);
  });
});
