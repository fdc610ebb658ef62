import { encodeWav } from '../media/wav.js';
import { EngineError, meanConfidence, round3, spreadWords, type EngineInput, type EngineResult, type EngineSegment, type EngineWord, type TranscriptionEngine } from './transcription-engine.js';

export interface OpenAiEngineOptions {
  /** Base URL (`http://host:8000/v1`) or the full `.../audio/transcriptions` endpoint. */
  url: string;
  model: string;
  apiKey?: string;
  /** Per request, seconds (plus 2× the audio length). */
  timeoutSeconds?: number;
  fetch?: typeof fetch;
}

interface VerboseWord {
  word?: string;
  start?: number;
  end?: number;
  probability?: number;
  confidence?: number;
}

interface VerboseSegment {
  start?: number;
  end?: number;
  text?: string;
  avg_logprob?: number;
  words?: VerboseWord[];
}

/** The `verbose_json` body (OpenAI; whisper.cpp, faster-whisper and LocalAI servers answer the same shape). */
export interface VerboseTranscription {
  text?: string;
  language?: string;
  duration?: number;
  segments?: VerboseSegment[];
  words?: VerboseWord[];
}

const LANGUAGE_CODES: Record<string, string> = {
  english: 'en', german: 'de', french: 'fr', spanish: 'es', italian: 'it', dutch: 'nl', portuguese: 'pt', polish: 'pl', swedish: 'sv', danish: 'da', norwegian: 'no', finnish: 'fi', japanese: 'ja', chinese: 'zh', russian: 'ru', turkish: 'tr',
};

function languageCode(raw: string | undefined): string | null {
  if (!raw) return null;
  const lower = raw.toLowerCase();
  return LANGUAGE_CODES[lower] ?? lower;
}

function toWord(w: VerboseWord, fallbackConfidence: number): EngineWord | null {
  const word = (w.word ?? '').trim();
  if (!word || typeof w.start !== 'number' || typeof w.end !== 'number') return null;
  const p = typeof w.probability === 'number' ? w.probability : typeof w.confidence === 'number' ? w.confidence : fallbackConfidence;
  return { word, start: round3(w.start), end: round3(w.end), confidence: round3(Math.min(1, Math.max(0, p))) };
}

/**
 * Maps a verbose_json answer to segments. Word timestamps come either per segment or as one
 * top-level list (OpenAI's own API); top-level words are assigned to the segment they fall in.
 * Without word timestamps, a segment's words get times spread over the segment by length.
 */
export function segmentsFromVerbose(body: VerboseTranscription): EngineSegment[] {
  const raw = body.segments?.length ? body.segments : body.text?.trim() ? [{ start: 0, end: body.duration ?? 0, text: body.text }] : [];
  const topWords = (body.words ?? []).filter((w) => typeof w.start === 'number');
  const out: EngineSegment[] = [];
  raw.forEach((s, i) => {
    const start = s.start ?? 0;
    const end = s.end ?? start;
    const segConfidence = typeof s.avg_logprob === 'number' ? Math.exp(s.avg_logprob) : 0.8;
    let words: EngineWord[];
    if (s.words?.length) {
      words = s.words.map((w) => toWord(w, segConfidence)).filter((w): w is EngineWord => w !== null);
    } else if (topWords.length) {
      const last = i === raw.length - 1;
      words = topWords
        .filter((w) => w.start! >= start - 0.01 && (last ? true : w.start! < end - 0.01))
        .map((w) => toWord(w, segConfidence))
        .filter((w): w is EngineWord => w !== null);
    } else {
      words = spreadWords(s.text ?? '', start, end, segConfidence);
    }
    const text = (s.text ?? words.map((w) => w.word).join(' ')).trim();
    if (!text && words.length === 0) return;
    out.push({ start: round3(start), end: round3(end), text, confidence: meanConfidence(words, round3(segConfidence)), words });
  });
  return out;
}

/**
 * Any server speaking OpenAI's `POST /v1/audio/transcriptions`: the channel goes up as a
 * mono WAV at its own rate, with `response_format=verbose_json` and word + segment timestamps.
 */
export class OpenAiEngine implements TranscriptionEngine {
  readonly name = 'openai';
  private readonly endpoint: string;

  constructor(private readonly opts: OpenAiEngineOptions) {
    const base = opts.url.replace(/\/+$/, '');
    this.endpoint = /\/audio\/transcriptions$/.test(base) ? base : `${base}/audio/transcriptions`;
  }

  async transcribe(input: EngineInput): Promise<EngineResult> {
    const wav = encodeWav({ sampleRate: input.sampleRate, channels: 1, samples: input.samples });
    const form = new FormData();
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'channel.wav');
    form.append('model', this.opts.model);
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'word');
    form.append('timestamp_granularities[]', 'segment');
    if (input.language) form.append('language', input.language);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    const seconds = input.samples.length / input.sampleRate;
    const timeoutMs = ((this.opts.timeoutSeconds ?? 120) + 2 * seconds) * 1000;
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(this.endpoint, { method: 'POST', body: form, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') throw new EngineError('engine_timeout', `the transcription server at ${this.endpoint} did not answer within ${Math.round(timeoutMs / 1000)} s`, true);
      throw new EngineError('engine_unavailable', `cannot reach the transcription server at ${this.endpoint} (OPENAI_TRANSCRIPTION_URL): ${e.cause?.code ?? e.message}`, true);
    }
    const bodyText = await res.text();
    if (!res.ok) {
      const detail = bodyText.replace(/\s+/g, ' ').slice(0, 300);
      if (res.status === 401 || res.status === 403) throw new EngineError('engine_rejected', `the transcription server refused the key (HTTP ${res.status}; check OPENAI_TRANSCRIPTION_API_KEY): ${detail}`);
      if (res.status === 429 || res.status >= 500) throw new EngineError('engine_failed', `the transcription server answered HTTP ${res.status}: ${detail}`, true);
      throw new EngineError('engine_rejected', `the transcription server rejected the request (HTTP ${res.status}): ${detail}`);
    }
    let body: VerboseTranscription;
    try {
      body = JSON.parse(bodyText) as VerboseTranscription;
    } catch {
      throw new EngineError('engine_failed', `the transcription server did not answer JSON (response_format=verbose_json): ${bodyText.slice(0, 120)}`);
    }
    return { language: languageCode(body.language) ?? input.language ?? null, segments: segmentsFromVerbose(body) };
  }
}
