import { describe, expect, it } from 'vitest';
import { interleave } from '../../../src/media/mix.js';
import { resample, StreamResampler } from '../../../src/media/resample.js';
import { channel, noise, sine, strongestOf, toneAmplitude } from './signals.js';

function rms(x: Int16Array, start = 0, end = x.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (end - start)) / 32767;
}

/** Streams `pcm` through a StreamResampler in pieces of the given frame counts (cycled). */
function streamed(pcm: Int16Array, channels: number, from: number, to: number, frameSizes: number[]): Int16Array {
  const r = new StreamResampler(from, to, channels);
  const parts: Int16Array[] = [];
  let at = 0;
  for (let i = 0; at < pcm.length; i++) {
    const frames = frameSizes[i % frameSizes.length];
    parts.push(r.process(pcm.subarray(at, at + frames * channels)));
    at += frames * channels;
  }
  parts.push(r.flush());
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('resample', () => {
  it.each([
    [8000, 16000],
    [16000, 8000],
    [8000, 48000],
    [44100, 8000],
    [48000, 16000],
    [11025, 8000],
  ])('keeps a 1 kHz sine at 1 kHz and its level: %i -> %i Hz', (from, to) => {
    const input = sine(1000, 0.5, from, 0.5);
    const out = resample(input, 1, from, to);
    expect(out.length).toBe(Math.ceil((input.length * to) / from));
    const skip = Math.round(to * 0.05); // ignore the edges, where the kernel meets silence
    expect(strongestOf(out.subarray(skip, -skip), to, [900, 950, 1000, 1050, 1100])).toBe(1000);
    expect(toneAmplitude(out, 1000, to, skip, out.length - skip)).toBeCloseTo(0.5, 2);
  });

  it('attenuates a 6 kHz tone by more than 30 dB going 16 kHz -> 8 kHz (no alias at 2 kHz)', () => {
    const out = resample(sine(6000, 0.5, 16000, 0.5), 1, 16000, 8000);
    const level = rms(out, 400, out.length - 400) * Math.SQRT2; // peak amplitude equivalent
    expect(20 * Math.log10(Math.max(level, 1e-9) / 0.5)).toBeLessThan(-30);
  });

  it('keeps the telephone band flat going 16 kHz -> 8 kHz (300 Hz - 3.4 kHz within 0.1 dB)', () => {
    for (const f of [300, 2000, 3400]) {
      const out = resample(sine(f, 0.5, 16000, 0.5), 1, 16000, 8000);
      const db = 20 * Math.log10(toneAmplitude(out, f, 8000, 400, out.length - 400) / 0.5);
      expect(Math.abs(db), `${f} Hz`).toBeLessThan(0.1);
    }
  });

  it('adds no delay: 8 -> 16 kHz passes every input sample through at even positions', () => {
    const x = noise(1000, 0.5, 1);
    const y = resample(x, 1, 8000, 16000);
    expect(y.length).toBe(2000);
    for (let i = 0; i < x.length; i++) expect(y[2 * i]).toBe(x[i]);
  });

  it('keeps a constant exactly constant away from the edges', () => {
    const dc = new Int16Array(4000).fill(1234);
    for (const [from, to] of [[8000, 16000], [16000, 8000], [44100, 8000]]) {
      const y = resample(dc, 1, from, to);
      const edge = 60; // output frames reached by the kernel from beyond either end
      expect(Array.from(new Set(y.subarray(edge, y.length - edge)))).toEqual([1234]);
    }
  });

  it('saturates overshoot instead of wrapping around', () => {
    const square = new Int16Array(4000);
    for (let i = 0; i < square.length; i++) square[i] = Math.floor(i / 8) % 2 ? -32768 : 32767;
    const y = resample(square, 1, 8000, 16000);
    // Ringing around each edge overshoots full scale; it must clip, not flip sign.
    for (let i = 192; i < y.length - 192; i += 32) {
      expect(y[i + 8]).toBeGreaterThan(30000); // middle of a high plateau
      expect(y[i + 24]).toBeLessThan(-30000); // middle of a low plateau
    }
  });

  it('resamples each channel of interleaved stereo independently', () => {
    const stereo = interleave([sine(500, 0.5, 16000, 0.4), sine(1500, 0.5, 16000, 0.4)]);
    const out = resample(stereo, 2, 16000, 8000);
    expect(out.length).toBe(8000);
    expect(strongestOf(channel(out, 2, 0), 8000, [500, 1500])).toBe(500);
    expect(strongestOf(channel(out, 2, 1), 8000, [500, 1500])).toBe(1500);
  });

  it('returns a copy when the rates are equal, and validates its arguments', () => {
    const x = Int16Array.of(1, 2, 3);
    const y = resample(x, 1, 8000, 8000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    expect(() => resample(x, 2, 8000, 16000)).toThrow(RangeError);
    expect(() => resample(x, 0, 8000, 16000)).toThrow(RangeError);
    expect(() => resample(x, 1, 0, 16000)).toThrow(RangeError);
  });
});

describe('StreamResampler', () => {
  const speechLike = interleave([
    Int16Array.from(noise(4000, 0.3, 11), (v, i) => v + Math.round(8000 * Math.sin(i / 7))),
    noise(4000, 0.5, 99),
  ]);

  it.each([
    [8000, 16000, 1],
    [16000, 8000, 1],
    [8000, 16000, 2],
    [16000, 8000, 2],
    [44100, 8000, 2],
    [8000, 11025, 1],
  ])('gives exactly the one-shot result when fed in chunks: %i -> %i Hz, %i ch', (from, to, channels) => {
    const pcm = channels === 2 ? speechLike : channel(speechLike, 2, 0);
    const oneShot = resample(pcm, channels, from, to);
    expect(streamed(pcm, channels, from, to, [160])).toEqual(oneShot); // 20 ms packets at 8 kHz
    expect(streamed(pcm, channels, from, to, [1, 0, 7, 320, 33, 2])).toEqual(oneShot);
    expect(streamed(pcm, channels, from, to, [100_000])).toEqual(oneShot);
  });

  it('emits a steady 2 output frames per input frame after a 2 ms look-ahead (8 -> 16 kHz)', () => {
    const r = new StreamResampler(8000, 16000);
    expect(r.delayFrames).toBe(16);
    const packet = sine(440, 0.02, 8000);
    expect(r.process(packet).length).toBe(2 * (160 - 16));
    expect(r.process(packet).length).toBe(320);
    expect(r.flush().length).toBe(32);
  });

  it('can be reused after flush for a new stream', () => {
    const r = new StreamResampler(16000, 8000);
    const x = noise(640, 0.4, 3);
    const first = [...r.process(x), ...r.flush()];
    const second = [...r.process(x), ...r.flush()];
    expect(second).toEqual(first);
  });

  it('rejects a chunk that is not whole frames', () => {
    expect(() => new StreamResampler(8000, 16000, 2).process(new Int16Array(3))).toThrow(RangeError);
  });
});
