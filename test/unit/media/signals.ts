/** Test signals and measurements for the media unit tests (not a test file itself). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reads a file under test/fixtures/media as bytes. */
export function fixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../../fixtures/media/${relative}`, import.meta.url))));
}

/** Reads a raw s16le fixture as samples (copied, so alignment never matters). */
export function fixturePcm(relative: string): Int16Array {
  const bytes = fixture(relative);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** A sine of `amplitude` (0..1 of full scale) lasting `seconds`. */
export function sine(freq: number, seconds: number, rate: number, amplitude = 0.5, phase = 0): Int16Array {
  const n = Math.round(seconds * rate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / rate + phase));
  return out;
}

/** Deterministic pseudo-random noise (xorshift), `amplitude` of full scale. */
export function noise(samples: number, amplitude = 0.3, seed = 12345): Int16Array {
  const out = new Int16Array(samples);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < samples; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = Math.round(((s / 0xffffffff) * 2 - 1) * amplitude * 32767);
  }
  return out;
}

/**
 * Amplitude (0..1 of full scale) of the `freq` component, by a Hann-windowed single-bin
 * DFT (a Goertzel without the recursion). Accurate to ~1% for tones far from others.
 */
export function toneAmplitude(x: ArrayLike<number>, freq: number, rate: number, start = 0, end = x.length): number {
  let re = 0;
  let im = 0;
  let wsum = 0;
  const n = end - start;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const v = x[start + i] * w;
    const ph = (2 * Math.PI * freq * i) / rate;
    re += v * Math.cos(ph);
    im -= v * Math.sin(ph);
    wsum += w;
  }
  return (2 * Math.hypot(re, im)) / wsum / 32767;
}

/** Frequency (Hz) with the largest amplitude among `candidates`. */
export function strongestOf(x: ArrayLike<number>, rate: number, candidates: number[]): number {
  let best = candidates[0];
  let bestAmp = -1;
  for (const f of candidates) {
    const a = toneAmplitude(x, f, rate);
    if (a > bestAmp) {
      bestAmp = a;
      best = f;
    }
  }
  return best;
}

/** Picks channel `c` out of interleaved samples. */
export function channel(interleaved: Int16Array, channels: number, c: number): Int16Array {
  const out = new Int16Array(interleaved.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = interleaved[i * channels + c];
  return out;
}

/** Signal-to-noise ratio in dB of `test` against `ref`, after shifting test by `delay` samples. */
export function snrDb(ref: Int16Array, test: Int16Array, delay = 0, skip = 0): number {
  let sig = 0;
  let err = 0;
  for (let i = skip; i + delay < test.length && i < ref.length; i++) {
    sig += ref[i] * ref[i];
    const e = test[i + delay] - ref[i];
    err += e * e;
  }
  return 10 * Math.log10(sig / Math.max(err, 1e-9));
}

/** Best SNR over delays 0..maxDelay, with the delay that achieves it. */
export function bestSnr(ref: Int16Array, test: Int16Array, maxDelay: number, skip = 0): { db: number; delay: number } {
  let best = { db: -Infinity, delay: 0 };
  for (let d = 0; d <= maxDelay; d++) {
    const db = snrDb(ref, test, d, skip);
    if (db > best.db) best = { db, delay: d };
  }
  return best;
}
