import { SipParseError } from './sip-errors.js';
import type { SipParams } from './sip-types.js';

// Character classes from RFC 3261 §25.1, as lookup tables: one array index per
// character instead of regular expressions, so no input can trigger backtracking.
const TOKEN_EXTRA = "-.!%*_+`'~";
const tokenTable = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || TOKEN_EXTRA.includes(ch)) {
    tokenTable[c] = 1;
  }
}

/** True when the UTF-16 code unit is an RFC 3261 `token` character. */
export function isTokenChar(code: number): boolean {
  return code < 128 && tokenTable[code] === 1;
}

/** True for a non-empty string made only of token characters. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** True for space and horizontal tab (the only whitespace left once folded lines are joined). */
export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Trims only SP and HTAB (String.trim would also eat U+FEFF and other Unicode spaces in values). */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** True for a non-empty string of ASCII digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Parses a decimal digit string without ever exceeding `max`; returns undefined when too large. */
export function boundedInt(digits: string, max: number): number | undefined {
  let value = 0;
  for (let i = 0; i < digits.length; i++) {
    value = value * 10 + (digits.charCodeAt(i) - 0x30);
    if (value > max) return undefined;
  }
  return value;
}

/**
 * Splits a header value at commas that are outside quoted strings and <...>,
 * which is how RFC 3261 §7.3.1 lets several values share one header line.
 */
export function splitTopLevel(value: string, separator = ','): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuotes = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuotes) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuotes = false;
    } else if (ch === '"') inQuotes = true;
    else if (ch === '<') inAngle = true;
    else if (ch === '>') inAngle = false;
    else if (ch === separator && !inAngle) {
      parts.push(trimWsp(value.slice(start, i)));
      start = i + 1;
    }
  }
  parts.push(trimWsp(value.slice(start)));
  return parts;
}

/** A forward-only reader over one header value; every failure is a SipParseError. */
export class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly header: string,
  ) {}

  /** True once every character has been consumed. */
  eof(): boolean {
    return this.pos >= this.text.length;
  }

  /** The current character, or '' at the end. */
  peek(): string {
    return this.pos < this.text.length ? this.text[this.pos]! : '';
  }

  /** Skips spaces and tabs; returns how many were skipped. */
  skipWs(): number {
    const start = this.pos;
    while (this.pos < this.text.length && isWsp(this.text.charCodeAt(this.pos))) this.pos++;
    return this.pos - start;
  }

  /** Reads one token or fails with BAD_HEADER. */
  token(what: string): string {
    const start = this.pos;
    while (this.pos < this.text.length && isTokenChar(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}`);
    return this.text.slice(start, this.pos);
  }

  /** Consumes `ch` (with optional whitespace around it) or fails. */
  expect(ch: string): void {
    this.skipWs();
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
    this.skipWs();
  }

  /** Reads a quoted-string starting at the opening quote; returns the unescaped content. */
  quoted(): string {
    if (this.peek() !== '"') this.fail('expected quoted string');
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const ch = this.text[i]!;
      if (ch === '\\') {
        if (i + 1 >= this.text.length) break;
        out += this.text[++i];
      } else if (ch === '"') {
        this.pos = i + 1;
        return out;
      } else out += ch;
    }
    throw new SipParseError('UNTERMINATED_QUOTE', `unterminated quoted string in ${this.header}`, this.header);
  }

  /** Throws a BAD_HEADER error naming the position. */
  fail(why: string): never {
    throw new SipParseError('BAD_HEADER', `${this.header}: ${why} at offset ${this.pos}`, this.header);
  }
}

/**
 * Reads `*( SEMI generic-param )` (RFC 3261 §25.1) up to the end of the value:
 * LWS is allowed around ';' and '=', a value is a token, a host or a quoted string.
 */
export function readParams(cur: Cursor, stopAt = ''): SipParams {
  const params: SipParams = Object.create(null) as SipParams;
  for (;;) {
    cur.skipWs();
    if (cur.eof() || stopAt.includes(cur.peek())) return params;
    if (cur.peek() !== ';') cur.fail("expected ';'");
    cur.pos++;
    cur.skipWs();
    const name = cur.token('parameter name').toLowerCase();
    cur.skipWs();
    let value = '';
    if (cur.peek() === '=') {
      cur.pos++;
      cur.skipWs();
      value = cur.peek() === '"' ? cur.quoted() : readParamValue(cur);
    }
    params[name] = value;
  }
}

// gen-value = token / host / quoted-string; a host adds ':' '[' ']' to token characters (IPv6).
function readParamValue(cur: Cursor): string {
  const start = cur.pos;
  while (!cur.eof()) {
    const c = cur.text.charCodeAt(cur.pos);
    if (!isTokenChar(c) && c !== 0x3a && c !== 0x5b && c !== 0x5d) break;
    cur.pos++;
  }
  if (cur.pos === start) cur.fail('expected parameter value');
  return cur.text.slice(start, cur.pos);
}
