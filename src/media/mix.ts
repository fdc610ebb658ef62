/**
 * Channel layout and mixing for interleaved 16-bit audio. All operations saturate at
 * the int16 limits instead of wrapping (wrapping turns a loud peak into a full-scale click).
 */

/** Interleaves mono channels into frames; shorter channels are padded with silence. */
export function interleave(channels: Int16Array[]): Int16Array {
  const ch = channels.length;
  if (ch === 0) return new Int16Array(0);
  if (ch === 1) return channels[0].slice();
  let frames = 0;
  for (const c of channels) frames = Math.max(frames, c.length);
  const out = new Int16Array(frames * ch); // zero-filled: padding needs no extra pass
  if (ch === 2) {
    // The dual-channel recording case, unrolled.
    const [left, right] = channels;
    for (let i = 0, n = left.length; i < n; i++) out[2 * i] = left[i];
    for (let i = 0, n = right.length; i < n; i++) out[2 * i + 1] = right[i];
    return out;
  }
  for (let c = 0; c < ch; c++) {
    const src = channels[c];
    for (let i = 0, o = c; i < src.length; i++, o += ch) out[o] = src[i];
  }
  return out;
}

/** Splits interleaved frames into one array per channel. */
export function deinterleave(interleaved: Int16Array, channels: number): Int16Array[] {
  const frames = checkFrames(interleaved, channels);
  if (channels === 1) return [interleaved.slice()];
  const out: Int16Array[] = [];
  for (let c = 0; c < channels; c++) {
    const dst = new Int16Array(frames);
    for (let i = 0, s = c; i < frames; i++, s += channels) dst[i] = interleaved[s];
    out.push(dst);
  }
  return out;
}

/**
 * Mixes interleaved frames down to mono by averaging the channels (so the result can
 * never clip; each party sounds 6 dB quieter on a 2-party stereo recording).
 */
export function downmixToMono(interleaved: Int16Array, channels: number): Int16Array {
  const frames = checkFrames(interleaved, channels);
  if (channels === 1) return interleaved.slice();
  const out = new Int16Array(frames);
  if (channels === 2) {
    // >> 1 floors; the half-LSB bias is far below audibility.
    for (let i = 0, s = 0; i < frames; i++, s += 2) out[i] = (interleaved[s] + interleaved[s + 1]) >> 1;
    return out;
  }
  for (let i = 0, s = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[s++];
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/**
 * Adds `source` into `target` in place, starting at sample `offset` of target, with
 * saturation; samples of source past the end of target are ignored. Returns target.
 */
export function mixInto(target: Int16Array, source: Int16Array, offset = 0): Int16Array {
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
  const n = Math.min(source.length, target.length - offset);
  for (let i = 0; i < n; i++) {
    const v = target[offset + i] + source[i];
    target[offset + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return target;
}

function checkFrames(interleaved: Int16Array, channels: number): number {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`invalid channel count ${channels}`);
  if (interleaved.length % channels !== 0) {
    throw new RangeError(`${interleaved.length} samples is not a whole number of ${channels}-channel frames`);
  }
  return interleaved.length / channels;
}
