import { describe, expect, it } from 'vitest';
import { alawEncode, mulawEncode } from '../../../src/media/g711.js';
import {
  decodeWav,
  encodeWav,
  looksLikeWav,
  parseWavHeader,
  WAV_HEADER_BYTES,
  wavHeader,
  wavHeaderFixed,
} from '../../../src/media/wav.js';
import { noise, sine } from './signals.js';

// ---- a tiny WAV builder, so each test states exactly which bytes it feeds in --------

const enc = new TextEncoder();
const GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function u16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function bytesOf(x: Uint8Array | Int16Array | number[]): number[] {
  if (x instanceof Int16Array) return Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return Array.from(x);
}
/** A chunk with its 8-byte header and pad byte; `size` overrides the size field only. */
function chunk(id: string, body: Uint8Array | Int16Array | number[], size?: number): number[] {
  const b = bytesOf(body);
  return [...enc.encode(id), ...u32(size ?? b.length), ...b, ...(b.length % 2 ? [0] : [])];
}
function wav(chunks: number[][], form = 'RIFF', riffSize?: number): Uint8Array {
  const body = chunks.flat();
  return Uint8Array.from([...enc.encode(form), ...u32(riffSize ?? body.length + 4), ...enc.encode('WAVE'), ...body]);
}
interface Fmt {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
}
function fmt({ tag = 1, channels = 1, rate = 8000, bits = 16, blockAlign }: Fmt = {}): number[] {
  const align = blockAlign ?? (channels * bits) / 8;
  return chunk('fmt ', [...u16(tag), ...u16(channels), ...u32(rate), ...u32(rate * align), ...u16(align), ...u16(bits)]);
}
function extensibleFmt({ subtype = 1, channels = 2, rate = 8000, bits = 16, validBits = bits, guidTail = GUID_TAIL }): number[] {
  const align = (channels * bits) / 8;
  return chunk('fmt ', [
    ...u16(0xfffe), ...u16(channels), ...u32(rate), ...u32(rate * align), ...u16(align), ...u16(bits),
    ...u16(22), ...u16(validBits), ...u32(channels === 2 ? 3 : 4), ...u32(subtype), ...guidTail,
  ]);
}
function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

// -------------------------------------------------------------------------------------

describe('WAV round trip', () => {
  it.each([1, 2] as const)('writes and reads back %i-channel PCM16 sample for sample', (channels) => {
    const samples = noise(8000 * channels, 0.5, 7);
    const file = encodeWav({ sampleRate: 8000, channels, samples });
    expect(file.length).toBe(44 + samples.length * 2);
    const info = parseWavHeader(file);
    expect(info).toMatchObject({
      format: 'pcm16', sampleRate: 8000, channels, bitsPerSample: 16, blockAlign: channels * 2,
      dataOffset: 44, dataBytes: samples.length * 2, frameCount: 8000, container: 'riff',
    });
    const decoded = decodeWav(file);
    expect(decoded).toMatchObject({ sampleRate: 8000, channels });
    expect(decoded.samples).toEqual(samples);
  });

  it('returns samples that do not alias the file buffer', () => {
    const file = encodeWav({ sampleRate: 16000, channels: 1, samples: Int16Array.of(1, 2, 3) });
    const { samples } = decodeWav(file);
    file.fill(0);
    expect(Array.from(samples)).toEqual([1, 2, 3]);
  });

  it('decodes PCM that starts at an odd byte offset in memory', () => {
    const file = encodeWav({ sampleRate: 8000, channels: 1, samples: Int16Array.of(-5, 300) });
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    expect(Array.from(decodeWav(shifted.subarray(1)).samples)).toEqual([-5, 300]);
  });

  it('recognises WAV bytes', () => {
    expect(looksLikeWav(encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(2) }))).toBe(true);
    expect(looksLikeWav(enc.encode('ID3\u0004 not a wav file'))).toBe(false);
  });
});

describe('WAV headers for writers', () => {
  it('reserves a fixed 80-byte RIFF header (JUNK placeholder) that reads as "to the end" until patched', () => {
    const header = wavHeaderFixed({ sampleRate: 8000, channels: 2, dataBytes: 0 });
    expect(header.length).toBe(WAV_HEADER_BYTES);
    expect(header.toString('latin1', 12, 16)).toBe('JUNK');
    const audio = noise(200, 0.5, 3);
    const crashed = Buffer.concat([header, Buffer.from(audio.buffer)]);
    expect(parseWavHeader(crashed)).toMatchObject({ dataOffset: 80, frameCount: 100, declaredDataBytes: null });
    expect(decodeWav(crashed).samples).toEqual(audio);

    const patched = Buffer.from(crashed);
    wavHeaderFixed({ sampleRate: 8000, channels: 2, dataBytes: 400 }).copy(patched, 0);
    expect(parseWavHeader(patched)).toMatchObject({ container: 'riff', dataBytes: 400, declaredDataBytes: 400 });
    expect(patched.readUInt32LE(4)).toBe(72 + 400); // RIFF size
  });

  it('keeps the fixed header at 80 bytes when it must become RF64', () => {
    const dataBytes = 5 * 1024 ** 3;
    const header = wavHeaderFixed({ sampleRate: 8000, channels: 2, dataBytes });
    expect(header.length).toBe(WAV_HEADER_BYTES);
    expect(header.toString('latin1', 0, 4)).toBe('RF64');
    expect(header.toString('latin1', 12, 16)).toBe('ds64');
    // Same offsets as the RIFF form, so a writer can patch one into the other in place.
    expect(header.toString('latin1', 48, 52)).toBe('fmt ');
    expect(header.toString('latin1', 72, 76)).toBe('data');
  });

  it('writes a 44-byte header right up to the RIFF limit, RF64 beyond it', () => {
    const limit = Math.floor((0xffffffff - 36) / 4) * 4; // largest whole number of stereo frames
    const atLimit = wavHeader({ sampleRate: 8000, channels: 2, dataBytes: limit });
    expect(atLimit.length).toBe(44);
    expect(atLimit.readUInt32LE(4)).toBe(36 + limit);
    expect(parseWavHeader(atLimit, { fileBytes: 44 + limit })).toMatchObject({ container: 'riff', dataBytes: limit });

    const over = wavHeader({ sampleRate: 8000, channels: 2, dataBytes: limit + 4 });
    expect(over.length).toBe(80);
    expect(over.toString('latin1', 0, 4)).toBe('RF64');
  });

  it('parses an RF64 header claiming more than 4 GiB (header only, nothing allocated)', () => {
    const dataBytes = 6 * 1024 ** 3 + 4; // 6 GiB + one stereo frame
    const header = wavHeader({ sampleRate: 48000, channels: 2, dataBytes });
    expect(header.readUInt32LE(4)).toBe(0xffffffff);
    const info = parseWavHeader(header, { fileBytes: WAV_HEADER_BYTES + dataBytes });
    expect(info).toMatchObject({
      container: 'rf64', format: 'pcm16', sampleRate: 48000, channels: 2,
      dataOffset: 80, dataBytes, frameCount: dataBytes / 4, declaredDataBytes: dataBytes,
    });
    // The ds64 chunk carries the true sizes: RIFF size, data size, sample count.
    expect(header.readUInt32LE(28) + header.readUInt32LE(32) * 2 ** 32).toBe(dataBytes);
    expect(header.readUInt32LE(36) + header.readUInt32LE(40) * 2 ** 32).toBe(dataBytes / 4);
  });

  it('rejects impossible header parameters', () => {
    expect(() => wavHeader({ sampleRate: 8000, channels: 2, dataBytes: 6 })).toThrow(RangeError);
    expect(() => wavHeader({ sampleRate: 8000, channels: 3 as 2, dataBytes: 0 })).toThrow(RangeError);
    expect(() => wavHeader({ sampleRate: 0, channels: 1, dataBytes: 0 })).toThrow(RangeError);
  });
});

describe('WAV files from other writers', () => {
  const pcm = sine(440, 0.01, 8000); // 80 samples

  it('reads chunks in any order: LIST (odd size, padded), then data, then fmt, then fact', () => {
    const file = wav([chunk('LIST', enc.encode('INFOx')), chunk('data', pcm), fmt(), chunk('fact', u32(80))]);
    const info = parseWavHeader(file);
    expect(info).toMatchObject({ dataOffset: 12 + 8 + 6 + 8, frameCount: 80 });
    expect(decodeWav(file).samples).toEqual(pcm);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM', () => {
    const stereo = noise(160, 0.4, 9);
    const file = wav([extensibleFmt({ channels: 2, validBits: 16 }), chunk('data', stereo)]);
    expect(parseWavHeader(file)).toMatchObject({ format: 'pcm16', channels: 2, frameCount: 80 });
    expect(decodeWav(file).samples).toEqual(stereo);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with fewer valid bits in a 16-bit container', () => {
    const file = wav([extensibleFmt({ channels: 1, validBits: 12 }), chunk('data', pcm)]);
    expect(decodeWav(file).samples).toEqual(pcm);
  });

  it.each([
    ['µ-law', 7, mulawEncode, 'mulaw'],
    ['A-law', 6, alawEncode, 'alaw'],
  ] as const)('reads %s files and expands them to PCM16', (_name, tag, encode, format) => {
    const coded = encode(pcm);
    const file = wav([fmt({ tag, bits: 8 }), chunk('fact', u32(coded.length)), chunk('data', coded)]);
    const info = parseWavHeader(file);
    expect(info).toMatchObject({ format, bitsPerSample: 8, blockAlign: 1, frameCount: 80 });
    const { samples } = decodeWav(file);
    for (let i = 0; i < pcm.length; i++) expect(Math.abs(samples[i] - pcm[i])).toBeLessThan(Math.abs(pcm[i]) / 16 + 16);
  });

  it('reads µ-law in WAVE_FORMAT_EXTENSIBLE', () => {
    const file = wav([extensibleFmt({ subtype: 7, channels: 1, bits: 8 }), chunk('data', mulawEncode(pcm))]);
    expect(parseWavHeader(file).format).toBe('mulaw');
  });

  it.each([
    ['0', 0],
    ['0xFFFFFFFF', 0xffffffff],
    ["sox's pipe placeholder 0x7FFFF000", 0x7ffff000],
  ])('treats a data size of %s as "to the end of the file" (streamed writer)', (_name, size) => {
    const file = wav([fmt(), chunk('data', pcm, size)], 'RIFF', 0xffffffff);
    const info = parseWavHeader(file);
    expect(info.frameCount).toBe(80);
    expect(info.declaredDataBytes).toBeNull();
    expect(decodeWav(file).samples).toEqual(pcm);
  });

  it('ignores a shortfall of up to one frame, and never returns a partial frame', () => {
    const stereo = noise(20, 0.3, 5); // 10 frames, 40 bytes
    const short = wav([fmt({ channels: 2 }), chunk('data', stereo, 44)]); // declares 11 frames
    expect(parseWavHeader(short)).toMatchObject({ frameCount: 10, dataBytes: 40 });
    const torn = wav([fmt({ channels: 2 }), chunk('data', [...bytesOf(stereo), 1, 2], 44)]); // half a frame
    expect(parseWavHeader(torn)).toMatchObject({ frameCount: 10, dataBytes: 40 });
  });

  it('rejects data shorter than declared by more than a frame, unless told to salvage', () => {
    const file = wav([fmt(), chunk('data', pcm, 1000)]);
    expect(code(() => parseWavHeader(file))).toBe('wav_truncated');
    expect(code(() => decodeWav(file))).toBe('wav_truncated');
    expect(parseWavHeader(file, { allowTruncated: true })).toMatchObject({ frameCount: 80, declaredDataBytes: 1000 });
    expect(decodeWav(file, { allowTruncated: true }).samples).toEqual(pcm);
  });

  it('parses a header-only prefix when told the full file size', () => {
    const file = encodeWav({ sampleRate: 8000, channels: 1, samples: pcm });
    const info = parseWavHeader(file.subarray(0, 44), { fileBytes: file.length });
    expect(info).toMatchObject({ dataOffset: 44, frameCount: 80 });
  });

  it('parses a plain 0-frame WAV, but refuses to decode it as audio', () => {
    const empty = wav([fmt(), chunk('data', [])]);
    expect(parseWavHeader(empty).frameCount).toBe(0);
    expect(code(() => decodeWav(empty))).toBe('audio_empty');
  });
});

describe('WAV rejections', () => {
  const data = chunk('data', new Int16Array(16));

  it.each([
    ['an empty buffer', new Uint8Array(0), 'audio_unrecognized'],
    ['text', enc.encode('hello, this is not audio at all'), 'audio_unrecognized'],
    ['a RIFF file of another form (AVI)', Uint8Array.from([...enc.encode('RIFF'), ...u32(4), ...enc.encode('AVI ')]), 'audio_unrecognized'],
    ['an MP3', Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64]), 'audio_unrecognized'],
    ['a file cut inside the RIFF header', enc.encode('RIFF\u0024\u0000'), 'wav_truncated'],
    ['a file cut inside the fmt chunk', wav([fmt()]).subarray(0, 30), 'wav_truncated'],
    ['a file without a data chunk', wav([fmt()]), 'wav_truncated'],
    ['a file without a fmt chunk', wav([data]), 'wav_truncated'],
    ['a fmt chunk shorter than 16 bytes', wav([chunk('fmt ', [1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 2, 0]), data]), 'wav_corrupt'],
    ['0 channels', wav([fmt({ channels: 0, blockAlign: 2 }), data]), 'wav_corrupt'],
    ['3 channels', wav([fmt({ channels: 3 }), data]), 'wav_unsupported_format'],
    ['24-bit PCM', wav([fmt({ bits: 24 }), data]), 'wav_unsupported_format'],
    ['8-bit PCM', wav([fmt({ bits: 8 }), data]), 'wav_unsupported_format'],
    ['32-bit float', wav([fmt({ tag: 3, bits: 32 }), data]), 'wav_unsupported_format'],
    ['IMA ADPCM', wav([fmt({ tag: 0x11, bits: 4, blockAlign: 256 }), data]), 'wav_unsupported_format'],
    ['µ-law declared as 16-bit', wav([fmt({ tag: 7, bits: 16 }), data]), 'wav_unsupported_format'],
    ['extensible float', wav([extensibleFmt({ subtype: 3, bits: 32 }), data]), 'wav_unsupported_format'],
    ['extensible with an unknown GUID', wav([extensibleFmt({ guidTail: GUID_TAIL.map((b) => b ^ 1) }), data]), 'wav_unsupported_format'],
    ['an extensible fmt chunk cut short', wav([chunk('fmt ', extensibleFmt({}).slice(8, 8 + 24)), data]), 'wav_corrupt'],
    ['more valid bits than the container', wav([extensibleFmt({ validBits: 20 }), data]), 'wav_corrupt'],
    ['a sample rate of 0', wav([fmt({ rate: 0 }), data]), 'wav_corrupt'],
    ['a 100 Hz sample rate', wav([fmt({ rate: 100 }), data]), 'wav_unsupported_format'],
    ['a 5 MHz sample rate', wav([fmt({ rate: 5_000_000 }), data]), 'wav_unsupported_format'],
    ['a block align that contradicts channels x bits', wav([fmt({ channels: 2, blockAlign: 2 }), data]), 'wav_corrupt'],
    ['RF64 without a ds64 chunk', wav([fmt(), chunk('data', new Int16Array(16), 0xffffffff)], 'RF64', 0xffffffff), 'wav_corrupt'],
    ['an open-ended data chunk before fmt', wav([chunk('data', new Int16Array(16), 0), fmt()]), 'wav_corrupt'],
    ['a ds64 chunk cut short', wav([chunk('ds64', new Array(20).fill(0)), fmt(), data], 'RF64'), 'wav_corrupt'],
  ])('rejects %s', (_name, file, expected) => {
    expect(code(() => parseWavHeader(file))).toBe(expected);
  });
});
