/** Silencing spans of interleaved 16-bit audio, for the redacted copy of a recording. */

/**
 * Zeroes every channel over each span (seconds), widened by `padSeconds` each side: word
 * times are estimates, and the other party's channel may carry an echo of the speaker.
 * Returns a new array; the input is untouched.
 */
export function silenceSpans(samples: Int16Array, channels: number, sampleRate: number, spans: Array<{ start: number; end: number }>, padSeconds = 0.15): Int16Array {
  const out = samples.slice();
  const frames = Math.floor(samples.length / channels);
  for (const s of spans) {
    const from = Math.max(0, Math.floor((s.start - padSeconds) * sampleRate));
    const to = Math.min(frames, Math.ceil((s.end + padSeconds) * sampleRate));
    if (to > from) out.fill(0, from * channels, to * channels);
  }
  return out;
}
