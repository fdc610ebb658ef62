import { splitTopLevel } from './sip-scanner.js';
import type { SipHeader } from './sip-types.js';

// Compact forms (RFC 3261 §7.3.3 and the IANA SIP header registry).
const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

// Headers whose grammar is a comma-separated list (§7.3.1), so several values may share one line.
// Unknown headers are never split: their grammar is unknown (RFC 4475 §3.1.1.1).
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'allow-events',
  'path', 'service-route', 'alert-info', 'call-info', 'error-info', 'in-reply-to', 'warning',
]);

/** Lower-case long form of a header name: 'i' and 'CALL-ID' both give 'call-id'. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** True when the header's values may be comma-joined on one line. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(canonicalHeaderName(name));
}

/** Anything with a header list: a request, a response or a partial message. */
export interface HasHeaders {
  headers: SipHeader[];
}

/** First value of a header (compact-form and case aware), or undefined. */
export function getHeader(msg: HasHeaders, name: string): string | undefined {
  const key = canonicalHeaderName(name);
  for (const h of msg.headers) if (canonicalHeaderName(h.name) === key) return h.value;
  return undefined;
}

/** Every value of a header, in order; list headers are also split at top-level commas. */
export function getHeaders(msg: HasHeaders, name: string): string[] {
  const key = canonicalHeaderName(name);
  const split = LIST_HEADERS.has(key);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (canonicalHeaderName(h.name) !== key) continue;
    if (split) {
      for (const v of splitTopLevel(h.value)) if (v.length > 0) out.push(v);
    } else out.push(h.value);
  }
  return out;
}

/** Number of header lines with this name (a comma list on one line counts once). */
export function countHeaderLines(msg: HasHeaders, name: string): number {
  const key = canonicalHeaderName(name);
  let n = 0;
  for (const h of msg.headers) if (canonicalHeaderName(h.name) === key) n++;
  return n;
}

/** Returns a copy of the header list with every line of `name` removed. */
export function withoutHeader(headers: SipHeader[], name: string): SipHeader[] {
  const key = canonicalHeaderName(name);
  return headers.filter((h) => canonicalHeaderName(h.name) !== key);
}

/** Option tags of Require/Supported-like headers, lower-cased. */
export function getOptionTags(msg: HasHeaders, name: string): string[] {
  return getHeaders(msg, name).map((t) => t.toLowerCase());
}
