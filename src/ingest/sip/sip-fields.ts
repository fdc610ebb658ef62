import { SipParseError } from './sip-errors.js';
import { boundedInt, Cursor, isDigits, isTokenChar, readParams, splitTopLevel } from './sip-scanner.js';
import type { SipParams } from './sip-types.js';

/** One Via value (RFC 3261 §20.42) with the parameters the transaction layer needs. */
export interface Via {
  protocol: string;
  version: string;
  transport: string;
  host: string;
  port?: number;
  params: SipParams;
  branch?: string;
  received?: string;
  /** `true` for a bare `rport` (RFC 3581: please fill in), a number once filled in. */
  rport?: number | true;
}

/** Parses a Via header line, which may hold several comma-separated values. */
export function parseVia(value: string): Via[] {
  const out: Via[] = [];
  for (const part of splitTopLevel(value)) {
    if (part.length === 0) throw new SipParseError('BAD_HEADER', 'Via: empty value between commas', 'Via');
    out.push(parseOneVia(part));
  }
  return out;
}

function parseOneVia(text: string): Via {
  const cur = new Cursor(text, 'Via');
  cur.skipWs();
  const protocol = cur.token('protocol name');
  cur.expect('/');
  const version = cur.token('protocol version');
  cur.expect('/');
  const transport = cur.token('transport').toUpperCase();
  if (cur.skipWs() === 0) cur.fail('expected whitespace before sent-by');
  const hostStart = cur.pos;
  if (cur.peek() === '[') {
    const close = text.indexOf(']', cur.pos);
    if (close < 0) cur.fail('unterminated IPv6 reference');
    cur.pos = close + 1;
  } else {
    while (!cur.eof() && isTokenChar(text.charCodeAt(cur.pos)) && cur.peek() !== '%') cur.pos++;
  }
  const host = text.slice(hostStart, cur.pos);
  if (host.length === 0) cur.fail('expected sent-by host');
  const via: Via = { protocol, version, transport, host, params: Object.create(null) as SipParams };
  cur.skipWs();
  if (cur.peek() === ':') {
    cur.pos++;
    cur.skipWs();
    const start = cur.pos;
    while (!cur.eof() && text.charCodeAt(cur.pos) >= 0x30 && text.charCodeAt(cur.pos) <= 0x39) cur.pos++;
    const port = boundedInt(text.slice(start, cur.pos), 65535);
    if (cur.pos === start || port === undefined) cur.fail('bad sent-by port');
    via.port = port;
  }
  via.params = readParams(cur);
  const { branch, received, rport } = via.params;
  if (branch !== undefined) via.branch = branch;
  if (received !== undefined) via.received = received;
  if (rport !== undefined) {
    const n = rport === '' ? undefined : isDigits(rport) ? boundedInt(rport, 65535) : undefined;
    if (rport !== '' && n === undefined) cur.fail('bad rport');
    via.rport = n ?? true;
  }
  return via;
}

/** CSeq (RFC 3261 §20.16): sequence number below 2**31 and a method. */
export interface CSeq {
  seq: number;
  method: string;
}

/** Parses a CSeq value; leading zeros are fine, values of 2**31 or more are not. */
export function parseCSeq(value: string): CSeq {
  const cur = new Cursor(value, 'CSeq');
  cur.skipWs();
  const start = cur.pos;
  while (!cur.eof() && value.charCodeAt(cur.pos) >= 0x30 && value.charCodeAt(cur.pos) <= 0x39) cur.pos++;
  const digits = value.slice(start, cur.pos);
  const seq = boundedInt(digits, 0x7fffffff);
  if (digits.length === 0 || seq === undefined) {
    throw new SipParseError('BAD_CSEQ', `CSeq number '${digits.slice(0, 24)}' missing or not below 2**31`, 'CSeq');
  }
  if (cur.skipWs() === 0) throw new SipParseError('BAD_CSEQ', 'CSeq: expected whitespace before method', 'CSeq');
  const method = cur.token('method');
  cur.skipWs();
  if (!cur.eof()) throw new SipParseError('BAD_CSEQ', 'CSeq: trailing characters after method', 'CSeq');
  return { seq, method };
}

/** Parses a Content-Length value (digits only: no sign, no spaces inside); caps it at `max` bytes. */
export function parseContentLength(value: string, max: number): number {
  const v = value.trim();
  const n = isDigits(v) ? boundedInt(v, max) : undefined;
  if (n === undefined) {
    throw new SipParseError('BAD_CONTENT_LENGTH', `Content-Length '${v.slice(0, 24)}' is not a number up to ${max}`, 'Content-Length');
  }
  return n;
}

/** Parses Max-Forwards: 0..255 (RFC 3261 §20.22). */
export function parseMaxForwards(value: string): number {
  const v = value.trim();
  const n = isDigits(v) ? boundedInt(v, 255) : undefined;
  if (n === undefined) throw new SipParseError('BAD_HEADER', `Max-Forwards '${v.slice(0, 24)}' is not 0..255`, 'Max-Forwards');
  return n;
}

/** Validates an Expires value: delta-seconds below 2**32 (RFC 3261 §20.19, §25.1). */
export function checkExpires(value: string): void {
  const v = value.trim();
  if (!isDigits(v) || boundedInt(v, 0xffffffff) === undefined) {
    throw new SipParseError('BAD_HEADER', `Expires '${v.slice(0, 24)}' is not a delta-seconds value`, 'Expires');
  }
}

// rfc1123-date with the only zone RFC 3261 §20.17 allows, "GMT". Fixed-width pattern: no backtracking.
const DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Validates a Date header (RFC 4475 §3.1.2.12 baddate: a non-GMT zone is an error). */
export function checkDate(value: string): void {
  if (!DATE.test(value.trim())) throw new SipParseError('BAD_HEADER', `Date '${value.slice(0, 40)}' is not an RFC 1123 GMT date`, 'Date');
}
