import { describe, expect, it } from 'vitest';
import { parseSphinxOutput } from '../../../src/transcription/sphinx-engine.js';
import { OpenAiEngine, segmentsFromVerbose } from '../../../src/transcription/openai-engine.js';
import { EngineError } from '../../../src/transcription/transcription-engine.js';

describe('PocketSphinx output', () => {
  it('turns utterances into segments, dropping fillers and alternate-pronunciation marks', () => {
    const out = [
      'hello i would like to',
      '<s> 0.000 0.200 0.999400',
      'hello 0.210 0.650 0.471665',
      'i 0.660 0.760 0.895196',
      '[NOISE] 0.770 0.800 0.5',
      'would 0.800 0.950 0.999900',
      'like 0.960 1.200 1.000500',
      'to(2) 1.210 1.330 0.954846',
      '<sil> 1.340 1.500 1.000000',
      '</s> 1.510 1.600 1.000000',
      'the meeting',
      '<s> 5.300 5.370 1.000000',
      'the 5.380 5.470 0.691673',
      'meeting 5.480 5.960 0.907183',
      '</s> 5.970 6.000 1.000000',
      '',
      '<s> 7.000 7.100 1.000000',
      '</s> 7.100 7.200 1.000000',
    ].join('\n');
    const segments = parseSphinxOutput(out);
    expect(segments).toHaveLength(2);
    expect(segments[0]).toMatchObject({ start: 0.21, end: 1.33, text: 'hello i would like to' });
    expect(segments[0].words.map((w) => w.word)).toEqual(['hello', 'i', 'would', 'like', 'to']);
    expect(segments[0].words[3].confidence).toBe(1);
    expect(segments[1]).toMatchObject({ start: 5.38, end: 5.96, text: 'the meeting' });
    expect(segments[1].confidence).toBeCloseTo(0.8, 2);
  });
});

describe('OpenAI verbose_json', () => {
  it('assigns top-level words to their segments and keeps per-segment words', () => {
    const segments = segmentsFromVerbose({
      segments: [
        { start: 0, end: 1, text: ' Hello there.', avg_logprob: -0.1 },
        { start: 1.5, end: 2.5, text: ' Bye.' },
      ],
      words: [
        { word: 'Hello', start: 0, end: 0.4 },
        { word: 'there.', start: 0.5, end: 0.9 },
        { word: 'Bye.', start: 1.6, end: 2.0, probability: 0.7 },
      ],
    });
    expect(segments.map((s) => s.words.map((w) => w.word))).toEqual([['Hello', 'there.'], ['Bye.']]);
    expect(segments[0].text).toBe('Hello there.');
    expect(segments[0].words[0].confidence).toBeCloseTo(Math.exp(-0.1), 3);
    expect(segments[1].words[0].confidence).toBe(0.7);
  });

  it('falls back to one segment for text only, with word times spread over it', () => {
    const [s] = segmentsFromVerbose({ text: 'just text here', duration: 3 });
    expect(s.start).toBe(0);
    expect(s.end).toBe(3);
    expect(s.words.map((w) => w.word)).toEqual(['just', 'text', 'here']);
    expect(s.words[2].end).toBeCloseTo(3, 2);
  });

  it('maps HTTP failures to engine errors: unreachable and 5xx retry, 401 does not', async () => {
    const engine = (status: number | 'down') =>
      new OpenAiEngine({
        url: 'http://127.0.0.1:9/v1',
        model: 'm',
        fetch: (async () => {
          if (status === 'down') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
          return new Response('{"error":{"message":"nope"}}', { status });
        }) as typeof fetch,
      });
    const input = { samples: new Int16Array(1600), sampleRate: 16000 };
    const err = async (e: OpenAiEngine) => e.transcribe(input).then(() => null, (x: EngineError) => x);
    expect(await err(engine('down'))).toMatchObject({ code: 'engine_unavailable', retryable: true });
    expect(await err(engine(503))).toMatchObject({ code: 'engine_failed', retryable: true });
    expect(await err(engine(401))).toMatchObject({ code: 'engine_rejected', retryable: false });
    expect(await err(engine(400))).toMatchObject({ code: 'engine_rejected', retryable: false });
  });
});
