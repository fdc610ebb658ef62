import { describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder } from '../../../src/media/g722.js';
import { bestSnr, fixture, fixturePcm, noise, sine, toneAmplitude } from './signals.js';

// See test/fixtures/media/g722/README.md for how ffmpeg made these.
const vectors = [
  { name: 'chirp + voiced mix', input: 'input-16k.s16le', encoded: 'ffmpeg-encoded.g722', decoded: 'ffmpeg-decoded-16k.s16le' },
  {
    name: 'full-scale square + noise',
    input: 'stress-16k.s16le',
    encoded: 'stress-ffmpeg-encoded.g722',
    decoded: 'stress-ffmpeg-decoded-16k.s16le',
  },
].map((v) => ({
  name: v.name,
  input: fixturePcm(`g722/${v.input}`),
  encoded: fixture(`g722/${v.encoded}`),
  decoded: fixturePcm(`g722/${v.decoded}`),
}));

/** Feeds `data` to `fn` in consecutive pieces of `size` and concatenates the results. */
function inPieces<T extends Int16Array | Uint8Array>(data: T, size: number, fn: (piece: T) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < data.length; i += size) out.push(fn(data.subarray(i, i + size) as T));
  return out;
}

function concat16(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe.each(vectors)('G.722 against ffmpeg: $name', ({ input, encoded, decoded }) => {
  it("decodes ffmpeg's bitstream to ffmpeg's output sample for sample", () => {
    const ours = new G722Decoder().decode(encoded);
    expect(ours.length).toBe(decoded.length);
    expect(ours).toEqual(decoded);
  });

  it('gives the same samples when fed 20 ms packets (160 bytes) one at a time', () => {
    const decoder = new G722Decoder();
    const ours = concat16(inPieces(encoded, 160, (p) => decoder.decode(p)));
    expect(ours).toEqual(decoded);
  });

  it("encodes the input to ffmpeg's exact bitstream", () => {
    expect(new G722Encoder().encode(input)).toEqual(encoded);
  });
});

describe('G.722 round trip', () => {
  it('keeps the chirp + voiced signal above 20 dB SNR', () => {
    const input = vectors[0].input;
    const back = new G722Decoder().decode(new G722Encoder().encode(input));
    // The QMF analysis + synthesis pair delays the signal by a fixed number of samples.
    const { db, delay } = bestSnr(input, back, 40, 100);
    expect(delay).toBe(22);
    expect(db).toBeGreaterThan(20);
  });

  it('keeps a 1 kHz tone at its level and a 6 kHz tone (high band) too', () => {
    for (const freq of [1000, 6000]) {
      const tone = sine(freq, 0.5, 16000, 0.3);
      const back = new G722Decoder().decode(new G722Encoder().encode(tone));
      expect(toneAmplitude(back, freq, 16000, 1600)).toBeCloseTo(0.3, 1);
    }
  });

  it('encodes odd-sized chunks exactly like one call, carrying the odd sample over', () => {
    const pcm = noise(3001, 0.2);
    const whole = new G722Encoder().encode(pcm);
    const encoder = new G722Encoder();
    const sizes = [1, 2, 3, 159, 160, 161, 7, 1000];
    const parts: number[] = [];
    let at = 0;
    for (let i = 0; at < pcm.length; i++) {
      const size = sizes[i % sizes.length];
      parts.push(...encoder.encode(pcm.subarray(at, at + size)));
      at += size;
    }
    expect(parts.length).toBe(1500); // the 3001st sample waits for a partner
    expect(Uint8Array.from(parts)).toEqual(whole);
  });

  it('decodes 2 samples per byte into a caller-provided buffer', () => {
    const out = new Int16Array(320);
    expect(new G722Decoder().decode(new Uint8Array(160).fill(0xff), out)).toBe(out);
    expect(() => new G722Decoder().decode(new Uint8Array(160), new Int16Array(319))).toThrow(RangeError);
  });

  it('keeps decoder state per instance (two calls do not interfere)', () => {
    const { encoded, decoded } = vectors[0];
    const a = new G722Decoder();
    const b = new G722Decoder();
    const outA: Int16Array[] = [];
    const outB: Int16Array[] = [];
    for (let i = 0; i < encoded.length; i += 160) {
      outA.push(a.decode(encoded.subarray(i, i + 160)));
      outB.push(b.decode(encoded.subarray(i, i + 160)));
    }
    expect(concat16(outA)).toEqual(decoded);
    expect(concat16(outB)).toEqual(decoded);
  });
});
