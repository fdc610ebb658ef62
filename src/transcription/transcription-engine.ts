/**
 * The engine port: one channel of mono audio in, timed words and segments out.
 * Engines never see the recording, the database or storage.
 */

/** One mono channel to transcribe. */
export interface EngineInput {
  /** 16-bit mono samples. */
  samples: Int16Array;
  /** Hz of `samples`; engines resample as they need. */
  sampleRate: number;
  /** Language hint, e.g. "en". */
  language?: string;
}

/** A recognised word; seconds from the start of the input, confidence 0..1. */
export interface EngineWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
}

/** A stretch of speech (an utterance between pauses, or the engine's own segment). */
export interface EngineSegment {
  start: number;
  end: number;
  text: string;
  confidence: number;
  words: EngineWord[];
}

export interface EngineResult {
  language: string | null;
  segments: EngineSegment[];
}

/** Stable error codes of engine failures (shown as the transcript's `error_code`). */
export type EngineErrorCode = 'engine_unavailable' | 'engine_failed' | 'engine_timeout' | 'engine_rejected';

/** An engine could not transcribe; `retryable` failures (network, 5xx) are worth another attempt. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Speech-to-text behind one interface; `name` is what transcripts show as `engine`. */
export interface TranscriptionEngine {
  readonly name: string;
  transcribe(input: EngineInput): Promise<EngineResult>;
}

/** The engine of TRANSCRIPTION_ENGINE=none: every request fails with a clear message. */
export class NoEngine implements TranscriptionEngine {
  readonly name = 'none';
  async transcribe(): Promise<EngineResult> {
    throw new EngineError('engine_unavailable', 'transcription is turned off on this server (TRANSCRIPTION_ENGINE=none); set TRANSCRIPTION_ENGINE=sphinx or openai');
  }
}

/** Mean of word confidences (or `fallback` without words), rounded to 3 decimals. */
export function meanConfidence(words: { confidence: number }[], fallback = 0): number {
  if (words.length === 0) return fallback;
  return round3(words.reduce((s, w) => s + w.confidence, 0) / words.length);
}

/** Rounds to milliseconds / 3 decimals, so JSON stays short. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Words of a text with times spread over [start, end] in proportion to their length. */
export function spreadWords(text: string, start: number, end: number, confidence: number): EngineWord[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  const total = tokens.reduce((s, t) => s + t.length + 1, 0);
  let at = start;
  return tokens.map((t) => {
    const span = total ? ((end - start) * (t.length + 1)) / total : 0;
    const w = { word: t, start: round3(at), end: round3(at + span), confidence: round3(confidence) };
    at += span;
    return w;
  });
}
