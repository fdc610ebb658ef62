/**
 * Test-side audio: signals with known content and a deliberately independent WAV
 * writer (the production writer is under test, so inputs are not built with it).
 */

/** A sine tone as 16-bit samples. */
export function sine(freqHz: number, seconds: number, rate: number, amplitude = 8000, phase = 0): Int16Array {
  const n = Math.round(seconds * rate);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin(phase + (2 * Math.PI * freqHz * i) / rate));
  return out;
}

/** Deterministic pseudo-random noise (different per seed), for sample-exact comparisons. */
export function noise(samples: number, seed: number, amplitude = 6000): Int16Array {
  const out = new Int16Array(samples);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < samples; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) % (2 * amplitude)) - amplitude;
  }
  return out;
}

/** Interleaves equal-length channels. */
export function interleaveChannels(...channels: Int16Array[]): Int16Array {
  const n = channels[0].length;
  const out = new Int16Array(n * channels.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels.length; c++) out[i * channels.length + c] = channels[c][i];
  return out;
}

/** A canonical 44-byte-header WAV file; `formatTag` 1 = PCM, 6 = A-law, 7 = µ-law (8-bit data). */
export function buildWav(opts: { data: Buffer; sampleRate: number; channels: number; bitsPerSample: number; formatTag?: number }): Buffer {
  const { data, sampleRate, channels, bitsPerSample } = opts;
  const blockAlign = (channels * bitsPerSample) / 8;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(opts.formatTag ?? 1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A PCM16 WAV of interleaved samples. */
export function pcmWav(samples: Int16Array, sampleRate: number, channels: number): Buffer {
  return buildWav({ data: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength), sampleRate, channels, bitsPerSample: 16 });
}

/** Reads a canonical PCM16 WAV back (finds the data chunk), for checking downloads. */
export function readPcmWav(buf: Buffer): { sampleRate: number; channels: number; samples: Int16Array } {
  if (buf.toString('latin1', 0, 4) !== 'RIFF' && buf.toString('latin1', 0, 4) !== 'RF64') throw new Error('not a WAV');
  let offset = 12;
  let sampleRate = 0;
  let channels = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(offset + 10);
      sampleRate = buf.readUInt32LE(offset + 12);
    }
    if (id === 'data') {
      const data = buf.subarray(offset + 8, offset + 8 + (size === 0xffffffff ? buf.length : size));
      const copy = Buffer.from(data);
      return { sampleRate, channels, samples: new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1) };
    }
    offset += 8 + size + (size & 1);
  }
  throw new Error('WAV has no data chunk');
}

/** Splits interleaved samples into channels. */
export function channelsOf(samples: Int16Array, channels: number): Int16Array[] {
  const n = Math.floor(samples.length / channels);
  return Array.from({ length: channels }, (_, c) => {
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = samples[i * channels + c];
    return out;
  });
}

/** Magnitude of one frequency in a signal (Goertzel), normalised by length; tells which tone a channel carries. */
export function toneStrength(samples: Int16Array, freqHz: number, rate: number): number {
  const k = (2 * Math.PI * freqHz) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.sqrt(s1 * s1 + s2 * s2 - coeff * s1 * s2) / samples.length;
}
