import { describe, expect, it } from 'vitest';
import { copyPcm16le, l16Decode, l16Encode, pcm16leToSamples, samplesToPcm16le } from '../../../src/media/l16.js';
import { MediaError } from '../../../src/media/media-error.js';

describe('L16 (network byte order)', () => {
  it('decodes big-endian bytes, including the extremes', () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xff, 0xff, 0x7f, 0xff, 0x80, 0x00, 0x12, 0x34);
    expect(Array.from(l16Decode(bytes))).toEqual([1, -1, 32767, -32768, 0x1234]);
  });

  it('encodes to big-endian bytes and round-trips every sample value', () => {
    expect(Array.from(l16Encode(Int16Array.of(1, -1, -32768)))).toEqual([0x00, 0x01, 0xff, 0xff, 0x80, 0x00]);
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(l16Decode(l16Encode(all))).toEqual(all);
  });

  it('rejects an odd-length payload with a MediaError', () => {
    expect(() => l16Decode(new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'l16_odd_length' }));
    expect(() => l16Decode(new Uint8Array(3))).toThrow(MediaError);
  });

  it('decodes into a caller-provided buffer', () => {
    const out = new Int16Array(160);
    expect(l16Decode(new Uint8Array(320), out)).toBe(out);
  });
});

describe('little-endian PCM helpers', () => {
  it('views aligned bytes as samples without copying', () => {
    const bytes = Uint8Array.of(0x01, 0x00, 0xff, 0xff);
    const samples = pcm16leToSamples(bytes);
    expect(Array.from(samples)).toEqual([1, -1]);
    bytes[0] = 2;
    expect(samples[0]).toBe(2); // shares memory
  });

  it('copies bytes that start at an odd offset', () => {
    const backing = Uint8Array.of(0xaa, 0x01, 0x00, 0xff, 0x7f);
    const samples = pcm16leToSamples(backing.subarray(1));
    expect(Array.from(samples)).toEqual([1, 32767]);
  });

  it('copyPcm16le always returns independent memory', () => {
    const bytes = Uint8Array.of(0x01, 0x00);
    const samples = copyPcm16le(bytes);
    bytes[0] = 9;
    expect(samples[0]).toBe(1);
  });

  it('samplesToPcm16le exposes the little-endian bytes', () => {
    expect(Array.from(samplesToPcm16le(Int16Array.of(1, -2)))).toEqual([0x01, 0x00, 0xfe, 0xff]);
  });
});
