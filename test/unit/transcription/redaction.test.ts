import { describe, expect, it } from 'vitest';
import { findSensitive, luhnValid, redactSegments, redactText, ssnValid } from '../../../src/transcription/redaction.js';
import type { TranscriptSegment } from '../../../src/transcription/transcript.js';

const types = (text: string) => redactText(text).redactions.map((r) => r.type);

describe('redaction of text', () => {
  it('checks Luhn and SSN validity', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('378282246310005')).toBe(true); // Amex test number
    expect(luhnValid('6011111111111117')).toBe(true); // Discover
    expect(ssnValid('123456789')).toBe(true);
    expect(ssnValid('000123456')).toBe(false);
    expect(ssnValid('666123456')).toBe(false);
    expect(ssnValid('912345678')).toBe(false);
    expect(ssnValid('123004567')).toBe(false);
    expect(ssnValid('123450000')).toBe(false);
  });

  it('redacts Luhn-valid card numbers written with spaces, dashes or in one piece, and keeps invalid ones', () => {
    const r = redactText('Valid 4111 1111 1111 1111, also 5500-0000-0000-0004 and 378282246310005. Invalid 4111 1111 1111 1112 and 1234567812345678.');
    expect(r.text).toBe('Valid [REDACTED:credit_card], also [REDACTED:credit_card] and [REDACTED:credit_card]. Invalid 4111 1111 1111 1112 and 1234567812345678.');
    expect(r.redactions).toHaveLength(3);
    for (const x of r.redactions) expect(r.text.slice(x.start, x.end)).toBe('[REDACTED:credit_card]');
  });

  it('catches spoken digits, "double"/"triple" and "oh", and a card inside a longer run of numbers', () => {
    expect(redactText('my card is four one one one one one one one one one one one one one one one thanks').text).toBe('my card is [REDACTED:credit_card] thanks');
    expect(redactText('card four one double one one one one one one one triple one one one one').text).toBe('card [REDACTED:credit_card]');
    // Spoken card then expiry month: the card is found inside the run, the "twelve" stays.
    expect(redactText('it is 4111 1111 1111 1111 twelve').text).toBe('it is [REDACTED:credit_card] twelve');
    // A wrong digit breaks the checksum: nothing to redact.
    expect(redactText('four one one one one one one one one one one one one one one two').text).toContain('four one one one');
  });

  it('redacts security codes only when said as one', () => {
    expect(redactText('the security code is 123.').text).toBe('the security code is [REDACTED:security_code].');
    expect(redactText('CVV: seven three one').text).toBe('CVV: [REDACTED:security_code]');
    expect(redactText('the cvc is 4321').text).toBe('the cvc is [REDACTED:security_code]');
    expect(redactText('I have 123 apples').text).toBe('I have 123 apples');
  });

  it('redacts social security numbers written NNN-NN-NNNN or said after "social security"', () => {
    expect(redactText('SSN 123-45-6789 on file').text).toBe('SSN [REDACTED:ssn] on file');
    expect(redactText('my social security number is one two three four five six seven eight nine').text).toBe('my social security number is [REDACTED:ssn]');
    expect(types('order 123456789 shipped')).toEqual([]);
    expect(types('ssn 000-12-3456')).toEqual([]);
  });

  it('redacts email addresses, written and spoken', () => {
    expect(redactText('write to john.smith@example.com today').text).toBe('write to [REDACTED:email] today');
    expect(redactText('it is john dot smith at example dot com thanks').text).toBe('it is [REDACTED:email] thanks');
    expect(redactText('mail jane at gmail.com').text).toBe('mail [REDACTED:email]');
    expect(redactText('meet me at home dot later').text).toBe('meet me at home dot later');
  });

  it('redacts phone numbers in common forms', () => {
    expect(redactText('call +1 (555) 010-0199 now').text).toBe('call [REDACTED:phone] now');
    expect(redactText('call 555-010-0199').text).toBe('call [REDACTED:phone]');
    expect(redactText('my number is five five five, zero one zero, zero one nine nine').text).toBe('my number is [REDACTED:phone]');
    expect(redactText('it costs 1500 dollars').text).toBe('it costs 1500 dollars');
  });

  it('finds items in token order without overlaps', () => {
    const found = findSensitive('email a at b dot com card 4111111111111111 code cvv 999'.split(' '));
    expect(found.map((f) => f.type)).toEqual(['email', 'credit_card', 'security_code']);
  });
});

describe('redaction of transcript segments', () => {
  const seg = (channel: number, start: number, text: string): TranscriptSegment => {
    const words = text.split(' ').map((w, i) => ({ word: w, start: start + i * 0.5, end: start + i * 0.5 + 0.4, confidence: 0.9 }));
    return { channel, speaker: `Speaker ${channel}`, start, end: words.at(-1)!.end, text, confidence: 0.9, words };
  };

  it('replaces the words, records text offsets and the audio span of the redacted words', () => {
    const { segments, redactions } = redactSegments([seg(1, 0, 'what is your card number'), seg(2, 3, 'it is four one one one one one one one one one one one one one one one ok')]);
    expect(segments[1].text).toBe('it is [REDACTED:credit_card] ok');
    expect(segments[1].words.map((w) => w.word)).toEqual(['it', 'is', '[REDACTED:credit_card]', 'ok']);
    expect(redactions).toHaveLength(1);
    const r = redactions[0];
    expect(r).toMatchObject({ type: 'credit_card', channel: 2, segment: 1, start: 4, end: 3 + 17 * 0.5 + 0.4 });
    const text = segments.map((s) => s.text).join('\n');
    expect(text.slice(r.text_start, r.text_end)).toBe('[REDACTED:credit_card]');
    expect(segments[0]).toEqual(seg(1, 0, 'what is your card number'));
  });

  it('works on segments that have text but no word timings', () => {
    const bare: TranscriptSegment = { channel: 1, speaker: 'A', start: 0, end: 4, text: 'code cvv 123 thanks', confidence: 0.8, words: [] };
    const { segments, redactions } = redactSegments([bare]);
    expect(segments[0].text).toBe('code cvv [REDACTED:security_code] thanks');
    expect(redactions[0].start).toBeGreaterThan(0);
    expect(redactions[0].end).toBeLessThan(4);
  });
});
