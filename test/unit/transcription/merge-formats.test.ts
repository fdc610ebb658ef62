import { describe, expect, it } from 'vitest';
import { mergeChannels, speakerFor, transcriptText } from '../../../src/transcription/merge.js';
import { negotiateFormat, timestamp, toPlainText, toSrt, toWebVtt } from '../../../src/transcription/formats.js';
import { silenceSpans } from '../../../src/transcription/redacted-audio.js';
import { searchTerms } from '../../../src/storage/db/transcript-search.js';

const seg = (start: number, end: number, text: string) => ({ start, end, text, confidence: 0.9, words: [] });

describe('merging channels', () => {
  it('orders segments of both channels by time and labels speakers from channel_map', () => {
    const merged = mergeChannels(
      [
        { channel: 1, segments: [seg(0, 1, 'hello'), seg(4, 5, 'fine thanks')] },
        { channel: 2, segments: [seg(1.5, 3, 'hi how are you'), seg(6, 7, 'bye')] },
      ],
      [{ channel: 1, participant: { name: 'Alice', aor: 'sip:alice@x' } }, { channel: 2, participant: { aor: 'sip:bob@x' } }],
    );
    expect(merged.map((s) => `${s.speaker}:${s.text}`)).toEqual(['Alice:hello', 'sip:bob@x:hi how are you', 'Alice:fine thanks', 'sip:bob@x:bye']);
    expect(transcriptText(merged)).toBe('hello\nhi how are you\nfine thanks\nbye');
  });

  it('falls back to role, then "Speaker N"', () => {
    expect(speakerFor(2, [{ channel: 2, participant: { role: 'callee' } }])).toBe('callee');
    expect(speakerFor(1, undefined)).toBe('Speaker 1');
  });
});

describe('transcript formats', () => {
  const segments = mergeChannels([{ channel: 1, segments: [seg(0.5, 2.25, 'a < b')] }, { channel: 2, segments: [seg(3661.001, 3662, 'ok')] }]);

  it('formats times for WebVTT and SRT', () => {
    expect(timestamp(3661.001, '.')).toBe('01:01:01.001');
    expect(timestamp(0.5, ',')).toBe('00:00:00,500');
  });

  it('renders text, WebVTT (escaped, voice spans) and SRT', () => {
    expect(toPlainText(segments)).toBe('Speaker 1: a < b\nSpeaker 2: ok\n');
    expect(toWebVtt(segments)).toBe('WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.250\n<v Speaker 1>a &lt; b\n\n2\n01:01:01.001 --> 01:01:02.000\n<v Speaker 2>ok\n');
    expect(toSrt(segments)).toBe('1\n00:00:00,500 --> 00:00:02,250\nSpeaker 1: a < b\n\n2\n01:01:01,001 --> 01:01:02,000\nSpeaker 2: ok\n');
  });

  it('negotiates the format from ?format= first, then Accept', () => {
    expect(negotiateFormat('srt', 'text/vtt')).toBe('srt');
    expect(negotiateFormat(undefined, 'text/vtt, application/json;q=0.5')).toBe('vtt');
    expect(negotiateFormat(undefined, 'text/plain')).toBe('txt');
    expect(negotiateFormat(undefined, undefined)).toBe('json');
    expect(negotiateFormat(undefined, 'image/png')).toBe('json');
  });
});

describe('redacted audio and search terms', () => {
  it('zeroes every channel over each span plus padding, leaving the rest', () => {
    const rate = 1000;
    const stereo = new Int16Array(2 * rate).fill(100);
    const out = silenceSpans(stereo, 2, rate, [{ start: 0.5, end: 0.6 }], 0.1);
    expect(out.subarray(2 * 400, 2 * 700).every((s) => s === 0)).toBe(true);
    expect(out[2 * 399]).toBe(100);
    expect(out[2 * 700]).toBe(100);
    expect(stereo[2 * 500]).toBe(100);
  });

  it('keeps only words of a query, so nothing is read as search syntax', () => {
    expect(searchTerms('"card" OR number* -x')).toEqual(['card', 'or', 'number', 'x']);
    expect(searchTerms('   ')).toEqual([]);
  });
});
