import { beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/media-error.js';
import { interleave } from '../../../src/media/mix.js';
import { decodeMp3, defaultMp3Bitrate, looksLikeMp3, Mp3StreamEncoder } from '../../../src/media/mp3.js';
import { readFrameHeader, scanMp3 } from '../../../src/media/mp3-frames.js';
import { encodeWav } from '../../../src/media/wav.js';
import { channel, noise, sine, strongestOf } from './signals.js';

// Lead-in a decoder emits before the first encoded sample (LAME 576 + decoder 529), in
// samples; this LAME build writes no LAME tag, so nothing trims it.
const CODEC_DELAY = 1105;

async function encodeAll(pcm: Int16Array, sampleRate: number, channels: 1 | 2, chunkFrames = 160, bitrateKbps?: number) {
  const encoder = await Mp3StreamEncoder.create({ sampleRate, channels, bitrateKbps });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < pcm.length; i += chunkFrames * channels) parts.push(encoder.encode(pcm.subarray(i, i + chunkFrames * channels)));
  parts.push(encoder.finish());
  return Buffer.concat(parts);
}

function code(err: unknown): string | undefined {
  return err instanceof MediaError ? err.code : undefined;
}

async function decodeError(buf: Uint8Array): Promise<string | undefined> {
  try {
    await decodeMp3(buf);
  } catch (err) {
    return code(err);
  }
  return undefined;
}

describe('Mp3StreamEncoder + decodeMp3', () => {
  it.each([
    [8000, 576],
    [16000, 576],
    [44100, 1152],
  ])('round-trips %i Hz stereo with the channels in place and the duration within a frame or two', async (rate, frameSamples) => {
    const seconds = 1.5;
    const stereo = interleave([sine(500, seconds, rate, 0.4), sine(1500, seconds, rate, 0.4)]);
    const mp3 = await encodeAll(stereo, rate, 2); // 20 ms chunks at 8 kHz, like a finalize job
    const decoded = await decodeMp3(mp3);
    expect(decoded.sampleRate).toBe(rate);
    expect(decoded.channels).toBe(2);
    const extra = decoded.samples.length / 2 - stereo.length / 2;
    expect(extra).toBeGreaterThanOrEqual(CODEC_DELAY);
    expect(extra).toBeLessThanOrEqual(CODEC_DELAY + frameSamples); // lead-in + padding to a whole frame
    const body = (ch: number) => channel(decoded.samples, 2, ch).subarray(CODEC_DELAY + 1000, CODEC_DELAY + 1000 + rate);
    expect(strongestOf(body(0), rate, [500, 1500])).toBe(500);
    expect(strongestOf(body(1), rate, [500, 1500])).toBe(1500);
  });

  it('round-trips mono', async () => {
    const mp3 = await encodeAll(sine(700, 1, 16000, 0.5), 16000, 1);
    const decoded = await decodeMp3(mp3);
    expect(decoded).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(strongestOf(decoded.samples.subarray(2000, 14000), 16000, [500, 700, 900])).toBe(700);
  });

  it('produces the same bytes whatever the chunk size, including one huge call', async () => {
    const pcm = interleave([noise(8000 * 20, 0.3, 1), noise(8000 * 20, 0.3, 2)]); // 20 s > the internal block
    const small = await encodeAll(pcm, 8000, 2, 160);
    const huge = await encodeAll(pcm, 8000, 2, 8000 * 20);
    expect(huge.equals(small)).toBe(true);
  });

  it('returns copies, not views into WASM memory that the next call overwrites', async () => {
    const encoder = await Mp3StreamEncoder.create({ sampleRate: 8000, channels: 1 });
    const first = encoder.encode(sine(440, 1, 8000));
    const snapshot = Uint8Array.from(first);
    expect(first.length).toBeGreaterThan(0);
    encoder.encode(noise(8000, 0.9, 4));
    encoder.finish();
    expect(first).toEqual(snapshot);
  });

  it('runs many encoders concurrently without interference', async () => {
    const inputs = Array.from({ length: 8 }, (_, i) => sine(300 + 100 * i, 0.5, 8000, 0.5));
    const reference = await Promise.all(inputs.map((pcm) => encodeAll(pcm, 8000, 1)));
    const encoders = await Promise.all(inputs.map(() => Mp3StreamEncoder.create({ sampleRate: 8000, channels: 1 })));
    const parts: Uint8Array[][] = inputs.map(() => []);
    for (let at = 0; at < 4000; at += 160) {
      encoders.forEach((e, i) => parts[i].push(e.encode(inputs[i].subarray(at, at + 160))));
    }
    encoders.forEach((e, i) => parts[i].push(e.finish()));
    parts.forEach((p, i) => expect(Buffer.concat(p).equals(reference[i])).toBe(true));
  });

  it('uses voice bitrates by default and keeps the input sample rate', async () => {
    expect(defaultMp3Bitrate(8000, 1)).toBe(16);
    expect(defaultMp3Bitrate(8000, 2)).toBe(32);
    expect(defaultMp3Bitrate(16000, 1)).toBe(32);
    expect(defaultMp3Bitrate(16000, 2)).toBe(48);
    expect(defaultMp3Bitrate(44100, 1)).toBe(64);
    expect(defaultMp3Bitrate(48000, 2)).toBe(128);
    const mp3 = await encodeAll(sine(440, 0.5, 8000), 8000, 1);
    // 8 kHz is MPEG-2.5: 576 samples per frame, so 16 kbit/s is 72 * 16000 / 8000 = 144 bytes per frame.
    expect(readFrameHeader(mp3, 0)).toMatchObject({ sampleRate: 8000, channels: 1, length: 144, version: 2.5, layer: 3 });
    const stereo = await encodeAll(interleave([sine(440, 0.5, 8000), sine(440, 0.5, 8000)]), 8000, 2);
    expect(readFrameHeader(stereo, 0)).toMatchObject({ sampleRate: 8000, channels: 2, length: 288 });
  });

  it('honours an explicit bitrate', async () => {
    const encoder = await Mp3StreamEncoder.create({ sampleRate: 16000, channels: 1, bitrateKbps: 64 });
    expect(encoder.bitrateKbps).toBe(64);
    const mp3 = Buffer.concat([encoder.encode(sine(440, 0.5, 16000)), encoder.finish()]);
    expect(readFrameHeader(mp3, 0)?.length).toBe(288); // 72 * 64000 / 16000
  });

  it.each([
    ['7999 Hz', { sampleRate: 7999, channels: 1 }],
    ['96 kHz', { sampleRate: 96000, channels: 2 }],
    ['3 channels', { sampleRate: 8000, channels: 3 }],
    ['8 kbit/s at 44.1 kHz (not an MPEG-1 rate)', { sampleRate: 44100, channels: 1, bitrateKbps: 8 }],
    ['320 kbit/s at 8 kHz', { sampleRate: 8000, channels: 1, bitrateKbps: 320 }],
    ['33 kbit/s', { sampleRate: 16000, channels: 1, bitrateKbps: 33 }],
  ])('refuses %s with mp3_unsupported_format', async (_name, options) => {
    await expect(Mp3StreamEncoder.create(options as never)).rejects.toMatchObject({ code: 'mp3_unsupported_format' });
  });

  it('rejects partial frames and use after finish()', async () => {
    const encoder = await Mp3StreamEncoder.create({ sampleRate: 8000, channels: 2 });
    expect(() => encoder.encode(new Int16Array(3))).toThrow(RangeError);
    encoder.finish();
    expect(() => encoder.encode(new Int16Array(2))).toThrow(/after finish/);
    expect(() => encoder.finish()).toThrow(/twice/);
  });
});

describe('decodeMp3 rejects what is not a whole, valid MP3', () => {
  let mp3: Buffer;
  beforeAll(async () => {
    mp3 = await encodeAll(sine(440, 1, 8000), 8000, 1); // 144-byte frames
  });

  it('accepts the intact file', async () => {
    expect(await decodeError(mp3)).toBeUndefined();
  });

  it.each([
    ['garbage bytes', () => Uint8Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) & 0xff), 'audio_unrecognized'],
    ['zeros', () => new Uint8Array(4000), 'audio_unrecognized'],
    ['text', () => new TextEncoder().encode('hello, this is not audio at all'.repeat(20)), 'audio_unrecognized'],
    ['an empty buffer', () => new Uint8Array(0), 'audio_unrecognized'],
    ['a WAV file', () => encodeWav({ sampleRate: 8000, channels: 1, samples: sine(440, 0.1, 8000) }), 'audio_unrecognized'],
    ['a file cut mid-frame', () => mp3.subarray(0, 1000), 'mp3_truncated'],
    ['a file missing its last byte', () => mp3.subarray(0, mp3.length - 1), 'mp3_truncated'],
    ['a frame header overwritten in the middle', () => Buffer.from(mp3).fill(0x42, 600, 800), 'mp3_corrupt'],
    ['junk appended after the last frame', () => Buffer.concat([mp3, Buffer.from('trailing junk bytes')]), 'mp3_corrupt'],
    ['an ID3 tag and nothing else', () => Uint8Array.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]), 'audio_empty'],
    ['an ID3 tag longer than the file', () => Uint8Array.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0x10, 0, 1, 2]), 'mp3_truncated'],
  ])('%s', async (_name, make, expected) => {
    expect(await decodeError(make())).toBe(expected);
  });

  it('accepts an ID3v2 tag in front and an ID3v1 tag behind', async () => {
    const id3v2 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0]);
    const id3v1 = Buffer.concat([Buffer.from('TAG'), Buffer.alloc(125, 0x20)]);
    const tagged = Buffer.concat([id3v2, mp3, id3v1]);
    const decoded = await decodeMp3(tagged);
    expect(decoded.samples.length).toBe((await decodeMp3(mp3)).samples.length);
    expect(scanMp3(tagged)).toMatchObject({ firstFrameOffset: 16, frames: scanMp3(mp3).frames });
  });
});

describe('MP3 sniffing and frame scan', () => {
  let mp3: Buffer;
  beforeAll(async () => {
    mp3 = await encodeAll(interleave([sine(440, 1, 16000), sine(880, 1, 16000)]), 16000, 2);
  });

  it('recognises MP3 by frame sync or ID3 tag, and nothing else', () => {
    expect(looksLikeMp3(mp3)).toBe(true);
    expect(looksLikeMp3(Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]))).toBe(true);
    const loneSync = new Uint8Array(1000);
    loneSync.set([0xff, 0xfb, 0x90, 0x64]); // a valid 417-byte frame header, then no second header
    expect(looksLikeMp3(loneSync)).toBe(false);
    expect(looksLikeMp3(encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(100) }))).toBe(false);
    expect(looksLikeMp3(new Uint8Array(0))).toBe(false);
  });

  it('counts frames and samples per channel without decoding', () => {
    const scan = scanMp3(mp3);
    expect(scan).toMatchObject({ sampleRate: 16000, channels: 2, firstFrameOffset: 0 });
    expect(scan.samples).toBe(scan.frames * 576);
  });

  it('does not count a leading Xing/Info metadata frame as audio', () => {
    const first = readFrameHeader(mp3, 0)!;
    const info = Buffer.from(mp3.subarray(0, first.length));
    info.fill(0, 4);
    info.write('Info', 4 + 17, 'latin1'); // after MPEG-2 stereo side information
    expect(scanMp3(Buffer.concat([info, mp3])).frames).toBe(scanMp3(mp3).frames);
  });
});
