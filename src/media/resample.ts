/**
 * Sample-rate conversion with a polyphase, Kaiser-windowed sinc FIR.
 *
 * Output frame n sits at input time n * from / to (frame 0 at input frame 0, no delay
 * in the result). When downsampling the cutoff drops to the output's Nyquist rate so
 * nothing aliases; the 16 zero-crossing kernel with a Kaiser window (beta 8) gives
 * ~80 dB of stopband attenuation.
 *
 * The telephony ratios (8 kHz <-> 16 kHz) take a halfband fast path: upsampling copies
 * every other output straight from the input and folds the symmetric kernel for the
 * rest (16 multiplies per output), downsampling skips the kernel's zero taps and folds
 * (17 multiplies per output instead of 64). Other ratios use the generic loop.
 *
 * `resample` is built on `StreamResampler`, so chunked and one-shot output are the same
 * numbers, not merely close.
 */

/** Zero crossings of the sinc on each side of the centre (sets kernel length). */
const ZERO_CROSSINGS = 16;
/** Kaiser window shape: larger = deeper stopband, wider transition. 8 ~ 80 dB. */
const KAISER_BETA = 8;
/** Generic path cutoff as a fraction of the lower Nyquist rate: keeps the transition band clear of it. */
const ROLLOFF = 0.94;
/** Phase table resolution cap for exotic rate pairs (ratio numerator above this). */
const MAX_PHASES = 1024;
/** Input frames fed per internal step by the one-shot path (bounds its scratch memory). */
const ONE_SHOT_BLOCK_FRAMES = 8192;

type Mode = 'generic' | 'up2' | 'down2';

interface Kernel {
  /** Output frames per `down` input frames, as a reduced fraction. */
  up: number;
  down: number;
  /** Rows in the phase table minus one; equals `up` unless capped at MAX_PHASES. */
  phases: number;
  exact: boolean;
  /** Taps per output; output n reads input frames i0 - half + 1 .. i0 + half. */
  taps: number;
  half: number;
  /** (phases + 1) rows of `taps` coefficients, row r for fractional position r / phases. */
  coeffs: Float64Array;
  mode: Mode;
}

const kernels = new Map<string, Kernel>();

/** Resamples interleaved 16-bit audio from one rate (Hz) to another in one go. */
export function resample(pcm: Int16Array, channels: number, fromRate: number, toRate: number): Int16Array {
  const r = new StreamResampler(fromRate, toRate, channels); // validates the arguments
  if (pcm.length % channels !== 0) throw new RangeError('sample count is not a whole number of frames');
  if (fromRate === toRate) return pcm.slice();
  const inFrames = pcm.length / channels;
  const out = new Int16Array(r.outputFramesFor(inFrames) * channels);
  let o = 0;
  for (let f = 0; f < inFrames; f += ONE_SHOT_BLOCK_FRAMES) {
    const end = Math.min(inFrames, f + ONE_SHOT_BLOCK_FRAMES);
    o = r.processInto(pcm.subarray(f * channels, end * channels), out, o);
  }
  r.flushInto(out, o);
  return out;
}

/**
 * Streaming resampler for live audio: feed chunks (e.g. one RTP packet) in order and
 * concatenate what comes out. Output lags input by `delayFrames` input frames (2 ms for
 * 8 <-> 16 kHz) because each output needs a few future input frames; `flush()` emits the
 * tail at the end of the stream. The concatenation equals `resample()` of the whole.
 */
export class StreamResampler {
  /** Input frames held back waiting for look-ahead (the latency, in input frames). */
  readonly delayFrames: number;
  private readonly kernel: Kernel;
  private hist: Int16Array;
  private histStart = 0; // absolute input frame index of hist[0]
  private histFrames = 0;
  private inFrames = 0; // real input frames received
  private outFrames = 0; // output frames emitted
  private i0 = 0; // floor(outFrames * down / up)
  private phase = 0; // (outFrames * down) mod up

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    readonly channels = 1,
  ) {
    if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`invalid channel count ${channels}`);
    for (const rate of [fromRate, toRate]) {
      if (!Number.isInteger(rate) || rate <= 0 || rate > 1_000_000) throw new RangeError(`invalid sample rate ${rate}`);
    }
    this.kernel = getKernel(fromRate, toRate);
    this.delayFrames = this.kernel.half;
    this.hist = new Int16Array((this.kernel.taps + 1024) * channels);
    this.reset();
  }

  /** Output frames a stream of `inputFrames` produces in total (after flush). */
  outputFramesFor(inputFrames: number): number {
    return Math.ceil((inputFrames * this.kernel.up) / this.kernel.down);
  }

  /** Feeds interleaved samples; returns the output frames that are now complete. */
  process(pcm: Int16Array): Int16Array {
    this.checkFrames(pcm);
    this.append(pcm, pcm.length / this.channels);
    this.inFrames += pcm.length / this.channels;
    const out = new Int16Array(this.ready() * this.channels);
    this.produce(out, 0, out.length / this.channels);
    this.compact();
    return out;
  }

  /** Ends the stream: returns the remaining output (input beyond the end is silence) and resets. */
  flush(): Int16Array {
    const out = new Int16Array((this.outputFramesFor(this.inFrames) - this.outFrames) * this.channels);
    this.flushInto(out, 0);
    return out;
  }

  /** Like process(), writing into `out` at sample offset `at`; returns the new offset. */
  processInto(pcm: Int16Array, out: Int16Array, at: number): number {
    this.checkFrames(pcm);
    this.append(pcm, pcm.length / this.channels);
    this.inFrames += pcm.length / this.channels;
    const frames = this.ready();
    this.produce(out, at, frames);
    this.compact();
    return at + frames * this.channels;
  }

  /** Like flush(), writing into `out` at sample offset `at`; returns the new offset. */
  flushInto(out: Int16Array, at: number): number {
    const frames = this.outputFramesFor(this.inFrames) - this.outFrames;
    this.append(null, this.kernel.half + 1); // look-ahead past the end reads zeros
    this.produce(out, at, frames);
    this.reset();
    return at + frames * this.channels;
  }

  /** Forgets all input: the next process() starts a new stream. */
  reset(): void {
    const k = this.kernel;
    // Frames before the start of the stream are silence: pre-fill the look-behind.
    this.histStart = -(k.half - 1);
    this.histFrames = 0;
    this.append(null, k.half - 1);
    this.inFrames = 0;
    this.outFrames = 0;
    this.i0 = 0;
    this.phase = 0;
  }

  private checkFrames(pcm: Int16Array): void {
    if (pcm.length % this.channels !== 0) {
      throw new RangeError(`${pcm.length} samples is not a whole number of ${this.channels}-channel frames`);
    }
  }

  /** Output frames whose whole kernel support has arrived. */
  private ready(): number {
    const k = this.kernel;
    const supported = this.inFrames - k.half; // outputs need i0 + half < inFrames
    if (supported <= 0) return 0;
    return Math.max(0, Math.ceil((supported * k.up) / k.down) - this.outFrames);
  }

  /** Appends frames to the history (zeros when `pcm` is null). */
  private append(pcm: Int16Array | null, frames: number): void {
    const ch = this.channels;
    const need = (this.histFrames + frames) * ch;
    if (need > this.hist.length) {
      const grown = new Int16Array(Math.max(need, this.hist.length * 2));
      grown.set(this.hist.subarray(0, this.histFrames * ch));
      this.hist = grown;
    }
    const at = this.histFrames * ch;
    if (pcm) this.hist.set(pcm, at);
    else this.hist.fill(0, at, at + frames * ch);
    this.histFrames += frames;
  }

  /** Drops history no future output can reach. */
  private compact(): void {
    const drop = this.i0 - this.kernel.half + 1 - this.histStart;
    if (drop <= 0) return;
    const ch = this.channels;
    this.hist.copyWithin(0, drop * ch, this.histFrames * ch);
    this.histFrames -= drop;
    this.histStart += drop;
  }

  private produce(out: Int16Array, at: number, frames: number): void {
    const k = this.kernel;
    const ch = this.channels;
    const hist = this.hist;
    const coeffs = k.coeffs;
    const taps = k.taps;
    const half = k.half;
    const stepWhole = Math.floor(k.down / k.up);
    const stepFrac = k.down % k.up;
    let i0 = this.i0;
    let phase = this.phase;
    let o = at;
    for (let n = 0; n < frames; n++) {
      const first = (i0 - half + 1 - this.histStart) * ch; // hist index of the first tap, channel 0
      for (let c = 0; c < ch; c++) {
        let acc: number;
        if (k.mode === 'up2') {
          if (phase === 0) {
            out[o++] = hist[(i0 - this.histStart) * ch + c]; // kernel is a unit impulse here
            continue;
          }
          // Symmetric kernel between frames i0 and i0 + 1: pair tap j with tap taps-1-j.
          acc = 0;
          const row = taps; // row 1 of 2
          for (let j = 0, lo = first + c, hi = first + (taps - 1) * ch + c; j < half; j++, lo += ch, hi -= ch) {
            acc += coeffs[row + j] * (hist[lo] + hist[hi]);
          }
        } else if (k.mode === 'down2') {
          // Halfband: only the centre and odd offsets from it are non-zero.
          const centre = first + (half - 1) * ch + c;
          acc = coeffs[half - 1] * hist[centre];
          for (let off = 1; off < half; off += 2) {
            acc += coeffs[half - 1 + off] * (hist[centre - off * ch] + hist[centre + off * ch]);
          }
        } else {
          const r = k.exact ? phase : Math.round((phase * k.phases) / k.up);
          acc = 0;
          for (let j = 0, row = r * taps, h = first + c; j < taps; j++, h += ch) {
            acc += coeffs[row + j] * hist[h];
          }
        }
        const v = Math.round(acc);
        out[o++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      i0 += stepWhole;
      phase += stepFrac;
      if (phase >= k.up) {
        phase -= k.up;
        i0++;
      }
    }
    this.i0 = i0;
    this.phase = phase;
    this.outFrames += frames;
  }
}

function getKernel(fromRate: number, toRate: number): Kernel {
  const key = `${fromRate}:${toRate}`;
  let k = kernels.get(key);
  if (!k) {
    k = designKernel(fromRate, toRate);
    kernels.set(key, k);
  }
  return k;
}

function designKernel(fromRate: number, toRate: number): Kernel {
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  const mode: Mode = up === 2 && down === 1 ? 'up2' : up === 1 && down === 2 ? 'down2' : 'generic';
  // Cutoff as a fraction of the input rate's Nyquist; halfband designs sit exactly at
  // the lower Nyquist so the 8 <-> 16 kHz kernels have their exact zeros.
  const cutoff = Math.min(1, up / down) * (mode === 'generic' && up !== down ? ROLLOFF : 1);
  const half = Math.ceil(ZERO_CROSSINGS / cutoff);
  const taps = 2 * half;
  const phases = Math.min(up, MAX_PHASES);
  const coeffs = new Float64Array((phases + 1) * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let r = 0; r <= phases; r++) {
    const frac = r / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const x = j - (half - 1) - frac; // distance from the output instant, in input frames
      const u = x / half;
      const w = Math.abs(u) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / i0Beta;
      const v = cutoff * sinc(cutoff * x) * w;
      coeffs[r * taps + j] = v;
      sum += v;
    }
    // Unity gain at DC for every phase, so a constant input stays exactly constant.
    for (let j = 0; j < taps; j++) coeffs[r * taps + j] /= sum;
  }
  return { up, down, phases, exact: phases === up, taps, half, coeffs, mode };
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Zeroth-order modified Bessel function of the first kind (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
