import { describe, expect, it } from 'vitest';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../src/media/g711.js';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

// Expansion written the way ITU-T G.191 (the G.711 reference software) states it,
// independently of the table construction in src: sign, exponent, mantissa, half step.
function ituMulawExpand(code: number): number {
  const sign = code < 0x80 ? -1 : 1;
  const m = ~code & 0xff;
  const exponent = (m >> 4) & 7;
  const step = 4 << (exponent + 1);
  return sign * ((0x80 << exponent) + step * (m & 0x0f) + step / 2 - 4 * 33) + 0; // + 0: no -0
}

function ituAlawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mant = ix & 0x0f;
  if (exponent > 0) mant += 16;
  mant = (mant << 4) + 8;
  if (exponent > 1) mant <<= exponent - 1;
  return code > 127 ? mant : -mant;
}

/** Quantisation step (in 16-bit units) of the segment a code belongs to. */
function mulawStep(code: number): number {
  return 8 << ((~code >> 4) & 7);
}
function alawStep(code: number): number {
  const exponent = ((code ^ 0x55) >> 4) & 7;
  return exponent <= 1 ? 16 : 16 << (exponent - 1);
}

describe('G.711 µ-law', () => {
  it('decodes all 256 codes to the ITU-T reference values', () => {
    const decoded = mulawDecode(ALL_CODES);
    for (let c = 0; c < 256; c++) expect(decoded[c], `code 0x${c.toString(16)}`).toBe(ituMulawExpand(c));
  });

  it('maps the well-known codes', () => {
    expect(Array.from(mulawDecode(Uint8Array.of(0xff, 0x7f, 0x00, 0x80, 0xfe, 0x7e)))).toEqual([0, 0, -32124, 32124, 8, -8]);
    expect(Array.from(mulawEncode(Int16Array.of(0, -1, 32767, -32768, 8, -8)))).toEqual([0xff, 0x7f, 0x80, 0x00, 0xfe, 0x7e]);
  });

  it('re-encodes every decoded value to the same code (except negative zero, which becomes +0)', () => {
    const again = mulawEncode(mulawDecode(ALL_CODES));
    for (let c = 0; c < 256; c++) expect(again[c]).toBe(c === 0x7f ? 0xff : c);
  });

  it('quantises every 16-bit sample to within half a step, monotonically, clipping beyond ±32124', () => {
    const codes = mulawEncode(ALL_SAMPLES);
    const back = mulawDecode(codes);
    const bad: number[] = [];
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const x = ALL_SAMPLES[i];
      const clipped = Math.max(-32124, Math.min(32124, x));
      const tooFar = Math.abs(back[i] - clipped) > mulawStep(codes[i]) / 2;
      if (tooFar || (i > 0 && back[i] < back[i - 1])) bad.push(x);
    }
    expect(bad).toEqual([]);
  });
});

describe('G.711 A-law', () => {
  it('decodes all 256 codes to the ITU-T reference values', () => {
    const decoded = alawDecode(ALL_CODES);
    for (let c = 0; c < 256; c++) expect(decoded[c], `code 0x${c.toString(16)}`).toBe(ituAlawExpand(c));
  });

  it('maps the well-known codes', () => {
    expect(Array.from(alawDecode(Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a)))).toEqual([8, -8, 32256, -32256]);
    expect(Array.from(alawEncode(Int16Array.of(0, -1, 32767, -32768)))).toEqual([0xd5, 0x55, 0xaa, 0x2a]);
  });

  it('re-encodes every decoded value to the same code', () => {
    expect(alawEncode(alawDecode(ALL_CODES))).toEqual(ALL_CODES);
  });

  it('quantises every 16-bit sample to within half a step, monotonically, clipping beyond ±32256', () => {
    const codes = alawEncode(ALL_SAMPLES);
    const back = alawDecode(codes);
    const bad: number[] = [];
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const x = ALL_SAMPLES[i];
      const clipped = Math.max(-32256, Math.min(32256, x));
      const tooFar = Math.abs(back[i] - clipped) > alawStep(codes[i]) / 2;
      if (tooFar || (i > 0 && back[i] < back[i - 1])) bad.push(x);
    }
    expect(bad).toEqual([]);
  });
});

describe('G.711 buffers', () => {
  it('decodes into a caller-provided buffer without allocating a new one', () => {
    const out = new Int16Array(160);
    const payload = new Uint8Array(160).fill(0x00);
    expect(mulawDecode(payload, out)).toBe(out);
    expect(out[159]).toBe(-32124);
    const larger = new Int16Array(400);
    const view = alawDecode(payload, larger);
    expect(view.length).toBe(160);
    expect(view.buffer).toBe(larger.buffer);
  });

  it('rejects an output buffer that is too small', () => {
    expect(() => mulawDecode(new Uint8Array(10), new Int16Array(9))).toThrow(RangeError);
  });
});
