/**
 * Finds sensitive data in recognised speech and replaces it with `[REDACTED:type]`.
 * Works on word sequences, because speech engines write numbers as words ("four one one
 * one ...") or digits split over several tokens; the same rules serve plain text.
 *
 * - credit_card: 13-19 digits passing the Luhn check (or the first 15-16 digits of a longer run);
 * - security_code: 3-4 digits after "security code", "CVV", "CVC", "CSC", "verification code";
 * - ssn: a valid US social security number (not 000/666/9xx area, 00 group, 0000 serial),
 *   written NNN-NN-NNNN or said after "social security" / "SSN";
 * - phone: 7, 10 or 11 (leading 1) digits, including +1 (555) 010-0199 forms;
 * - email: `name@example.com`, and spoken "john dot smith at example dot com".
 */
import { spreadWords } from './transcription-engine.js';
import { transcriptText } from './merge.js';
import type { RedactionEntry, RedactionType, TranscriptSegment, TranscriptWord } from './transcript.js';

/** A found item: token indexes [from, to], inclusive. */
export interface Finding {
  type: RedactionType;
  from: number;
  to: number;
}

const DIGIT_WORDS: Record<string, string> = {
  zero: '0', oh: '0', o: '0', nought: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
  ten: '10', eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15', sixteen: '16', seventeen: '17', eighteen: '18', nineteen: '19',
};
const TENS: Record<string, string> = { twenty: '2', thirty: '3', forty: '4', fifty: '5', sixty: '6', seventy: '7', eighty: '8', ninety: '9' };
const UNITS = new Set(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
/** Words said between digit groups that belong to the number. */
const NUMBER_SEPARATORS = new Set(['dash', 'hyphen', '-', '–']);
const TLDS = new Set(['com', 'net', 'org', 'edu', 'gov', 'io', 'co', 'uk', 'de', 'us', 'info', 'biz', 'me', 'ca', 'fr', 'nl', 'eu', 'au']);
const EMAIL_CONNECTORS = new Set(['dot', 'period', 'underscore', 'dash', 'hyphen']);

/** Lower-case, without surrounding punctuation (keeps inner `@ . - ( )` for addresses and numbers). */
export function normalizeToken(token: string): string {
  return token.toLowerCase().replace(/^["'“‘(\[]+|["'”’)\],.;:!?]+$/g, '');
}

/** Luhn checksum over a digit string. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A valid US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = digits.slice(0, 3);
  return area !== '000' && area !== '666' && area[0] !== '9' && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000';
}

/**
 * Digits a token contributes, or null: "4111", "010-0199", "(555)", "+1", number words,
 * and "forty one"-style pairs (handled by the caller looking one token ahead).
 */
function digitsOf(raw: string): string | null {
  const t = normalizeToken(raw);
  if (/^\+?[\d().-]*\d[\d().-]*$/.test(t)) return t.replace(/\D/g, '');
  if (t in DIGIT_WORDS) return DIGIT_WORDS[t];
  if (t in TENS) return `${TENS[t]}0`;
  const hyphenated = /^(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(one|two|three|four|five|six|seven|eight|nine)$/.exec(t);
  if (hyphenated) return TENS[hyphenated[1]] + DIGIT_WORDS[hyphenated[2]];
  return null;
}

interface DigitRun {
  from: number;
  to: number;
  /** Per token of the run: its digits ('' for a separator). */
  parts: string[];
}

/** Maximal runs of number tokens (separators inside allowed); "double five" → 55, "forty one" → 41. */
function digitRuns(tokens: string[]): DigitRun[] {
  const runs: DigitRun[] = [];
  let cur: DigitRun | null = null;
  const close = () => {
    if (cur) {
      // A run never ends on a separator.
      while (cur.parts.length && cur.parts[cur.parts.length - 1] === '') {
        cur.parts.pop();
        cur.to--;
      }
      if (cur.parts.length) runs.push(cur);
    }
    cur = null;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = normalizeToken(tokens[i]);
    let d = digitsOf(tokens[i]);
    if ((t === 'double' || t === 'triple') && i + 1 < tokens.length) {
      const next = digitsOf(tokens[i + 1]);
      if (next && next.length === 1) {
        d = ''; // the next token repeats: count it here as a separator, the repeat below
        const repeat = next.repeat(t === 'double' ? 2 : 3);
        cur ??= { from: i, to: i, parts: [] };
        cur.parts.push('', repeat);
        cur.to = i + 1;
        i++;
        continue;
      }
    }
    if (d !== null && t in TENS && i + 1 < tokens.length && UNITS.has(normalizeToken(tokens[i + 1]))) {
      // "forty one" is 41, not 401.
      cur ??= { from: i, to: i, parts: [] };
      cur.parts.push(TENS[t] + DIGIT_WORDS[normalizeToken(tokens[i + 1])], '');
      cur.to = i + 1;
      i++;
      continue;
    }
    if (d !== null && d.length > 0) {
      cur ??= { from: i, to: i, parts: [] };
      cur.parts.push(d);
      cur.to = i;
    } else if (cur && NUMBER_SEPARATORS.has(t)) {
      cur.parts.push('');
      cur.to = i;
    } else close();
  }
  close();
  return runs;
}

/** True when one of `phrases` (word lists) ends within `window` tokens before index `at`. */
function saidBefore(tokens: string[], at: number, phrases: string[][], window = 8): boolean {
  const words = tokens.slice(Math.max(0, at - window), at).map(normalizeToken);
  return phrases.some((p) => words.some((_, i) => p.every((w, k) => words[i + k] === w)));
}

const SECURITY_CODE_CONTEXT = [['security', 'code'], ['cvv'], ['cvv2'], ['cvc'], ['csc'], ['cid'], ['verification', 'code'], ['verification', 'number'], ['card', 'code']];
const SSN_CONTEXT = [['social'], ['ssn'], ['social', 'security']];

/** Classifies token range [a, b] of a run (recursing around a card inside it). */
function classifyRun(tokens: string[], run: DigitRun, a: number, b: number, out: Finding[]): void {
  if (a > b) return;
  const part = (i: number) => run.parts[i - run.from];
  // Trim separators at the ends of the range.
  while (a <= b && part(a) === '') a++;
  while (b >= a && part(b) === '') b--;
  if (a > b) return;
  // A card number: the whole range, or (for a longer run, say a card followed by its expiry)
  // its first 16 or 15 digits. Windows elsewhere would let a mistyped number pass the
  // checksum by chance (each has a 1 in 10 chance), so none are tried.
  let best: [number, number] | null = null;
  const rangeDigits = Array.from({ length: b - a + 1 }, (_, k) => part(a + k)).join('');
  if (rangeDigits.length >= 13 && rangeDigits.length <= 19 && luhnValid(rangeDigits)) best = [a, b];
  else if (rangeDigits.length > 16) {
    for (const want of [16, 15]) {
      let digits = '';
      for (let j = a; j <= b && digits.length < want; j++) {
        digits += part(j);
        if (digits.length === want && part(j) !== '' && luhnValid(digits)) best = [a, j];
      }
      if (best) break;
    }
  }
  if (best) {
    out.push({ type: 'credit_card', from: best[0], to: best[1] });
    classifyRun(tokens, run, a, best[0] - 1, out);
    classifyRun(tokens, run, best[1] + 1, b, out);
    return;
  }
  let digits = '';
  for (let i = a; i <= b; i++) digits += part(i);
  const n = digits.length;
  const single = a === b ? normalizeToken(tokens[a]) : '';
  if (n === 9 && ssnValid(digits) && (/^\d{3}-\d{2}-\d{4}$/.test(single) || saidBefore(tokens, a, SSN_CONTEXT, 10))) {
    out.push({ type: 'ssn', from: a, to: b });
  } else if ((n === 3 || n === 4) && saidBefore(tokens, a, SECURITY_CODE_CONTEXT)) {
    out.push({ type: 'security_code', from: a, to: b });
  } else if (n === 10 || (n === 11 && digits[0] === '1') || (n === 7 && !/^\d{7}$/.test(single))) {
    // A bare 7-digit token is more often an amount or an id than a local phone number.
    out.push({ type: 'phone', from: a, to: b });
  }
}

function isWordToken(t: string): boolean {
  return /^[a-z0-9][a-z0-9._%+-]*$/.test(t) && !EMAIL_CONNECTORS.has(t) && t !== 'at';
}

/** Emails written out, and spoken as "name [dot name] at domain dot tld". */
function findEmails(tokens: string[], out: Finding[]): void {
  const norm = tokens.map(normalizeToken);
  for (let i = 0; i < norm.length; i++) {
    if (/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/.test(norm[i])) {
      out.push({ type: 'email', from: i, to: i });
      continue;
    }
    if ((norm[i] !== 'at' && norm[i] !== '@') || i === 0 || i + 1 >= norm.length) continue;
    // Domain: word (dot word)+ ending in a known top-level domain, or one token like gmail.com.
    let end = -1;
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.([a-z]{2,})$/.test(norm[i + 1]) && TLDS.has(norm[i + 1].split('.').pop()!)) end = i + 1;
    else if (isWordToken(norm[i + 1])) {
      let j = i + 1;
      while (j + 2 < norm.length && (norm[j + 1] === 'dot' || norm[j + 1] === 'period') && isWordToken(norm[j + 2])) {
        j += 2;
        if (TLDS.has(norm[j])) end = j;
      }
    }
    if (end < 0) continue;
    // Local part: word (connector word)* before "at".
    if (!isWordToken(norm[i - 1])) continue;
    let start = i - 1;
    while (start - 2 >= 0 && EMAIL_CONNECTORS.has(norm[start - 1]) && isWordToken(norm[start - 2])) start -= 2;
    out.push({ type: 'email', from: start, to: end });
    i = end;
  }
}

/** Every sensitive item in a token sequence, in order, without overlaps. */
export function findSensitive(tokens: string[]): Finding[] {
  const found: Finding[] = [];
  findEmails(tokens, found);
  const inEmail = (i: number) => found.some((f) => f.type === 'email' && i >= f.from && i <= f.to);
  for (const run of digitRuns(tokens)) {
    if (inEmail(run.from) || inEmail(run.to)) continue;
    classifyRun(tokens, run, run.from, run.to, found);
  }
  found.sort((x, y) => x.from - y.from);
  return found.filter((f, i) => i === 0 || f.from > found[i - 1].to);
}

/** The replacement text of a finding. */
export function marker(type: RedactionType): string {
  return `[REDACTED:${type}]`;
}

/** A text's redaction: the redacted text and where each marker is (character offsets in it). */
export interface TextRedaction {
  text: string;
  redactions: Array<{ type: RedactionType; start: number; end: number }>;
}

/** Redacts plain text (whitespace-separated tokens keep their spacing); offsets are into the result. */
export function redactText(text: string): TextRedaction {
  const spans: Array<{ token: string; start: number; end: number }> = [];
  for (const m of text.matchAll(/\S+/g)) spans.push({ token: m[0], start: m.index!, end: m.index! + m[0].length });
  const findings = findSensitive(spans.map((s) => s.token));
  let out = '';
  let cursor = 0;
  const redactions: TextRedaction['redactions'] = [];
  for (const f of findings) {
    const from = spans[f.from];
    const to = spans[f.to];
    out += text.slice(cursor, from.start);
    const trailing = /[,.;:!?]+$/.exec(to.token)?.[0] ?? '';
    const m = marker(f.type);
    redactions.push({ type: f.type, start: out.length, end: out.length + m.length });
    out += m + trailing;
    cursor = to.end;
  }
  out += text.slice(cursor);
  return { text: out, redactions };
}

/** Redacts a transcript's segments word by word; returns new segments and where each marker is. */
export function redactSegments(segments: TranscriptSegment[]): { segments: TranscriptSegment[]; redactions: RedactionEntry[] } {
  const outSegments: TranscriptSegment[] = [];
  const pending: Array<Omit<RedactionEntry, 'text_start' | 'text_end'>> = [];
  segments.forEach((seg, index) => {
    const words = seg.words.length || !seg.text.trim() ? seg.words : spreadWords(seg.text, seg.start, seg.end, seg.confidence);
    const findings = findSensitive(words.map((w) => w.word));
    if (findings.length === 0) {
      outSegments.push(seg);
      return;
    }
    const redacted: TranscriptWord[] = [];
    let next = 0;
    for (const f of findings) {
      redacted.push(...words.slice(next, f.from));
      const trailing = /[,.;:!?]+$/.exec(words[f.to].word)?.[0] ?? '';
      redacted.push({ word: marker(f.type) + trailing, start: words[f.from].start, end: words[f.to].end, confidence: 1 });
      pending.push({ type: f.type, channel: seg.channel, segment: index, start: words[f.from].start, end: words[f.to].end });
      next = f.to + 1;
    }
    redacted.push(...words.slice(next));
    outSegments.push({ ...seg, words: redacted, text: redacted.map((w) => w.word).join(' ') });
  });
  // Character offsets of each marker in the transcript text (segments joined by newlines).
  const text = transcriptText(outSegments);
  const lineStarts: number[] = [];
  let at = 0;
  for (const s of outSegments) {
    lineStarts.push(at);
    at += s.text.length + 1;
  }
  const cursor = new Map<number, number>();
  const redactions: RedactionEntry[] = pending.map((p) => {
    const m = marker(p.type);
    const from = cursor.get(p.segment) ?? lineStarts[p.segment];
    const start = text.indexOf(m, from);
    cursor.set(p.segment, start + m.length);
    return { ...p, text_start: start, text_end: start + m.length };
  });
  return { segments: outSegments, redactions };
}
