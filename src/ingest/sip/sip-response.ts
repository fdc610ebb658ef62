import { randomBytes } from 'node:crypto';
import { getTag } from './sip-address.js';
import { canonicalHeaderName, type HasHeaders } from './sip-headers.js';
import type { SipHeader, SipResponse } from './sip-types.js';

/** Extra response content; header values must not contain CR or LF. */
export interface BuildResponseOptions {
  headers?: SipHeader[] | Record<string, string>;
  body?: Buffer | string;
  contentType?: string;
  /** To tag to add when the request's To has none (stable per dialog); generated when omitted. */
  toTag?: string;
}

/** The request fields a response is built from (a full SipRequest or a PartialSipMessage). */
export interface ResponseSource extends HasHeaders {
  method?: string;
}

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 202: 'Accepted',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 481: 'Call/Transaction Does Not Exist',
  483: 'Too Many Hops', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
  491: 'Request Pending', 500: 'Server Internal Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  505: 'Version Not Supported', 513: 'Message Too Large', 603: 'Decline',
};

/** Default reason phrase for a status code. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Trying' : status < 300 ? 'OK' : 'Error');
}

/** A random To/From tag: 64 bits, hex. */
export function generateTag(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Builds a response per RFC 3261 §8.2.6: copies Via (all, in order), From, To, Call-ID and
 * CSeq; adds a To tag to every non-100 response whose request had none (§8.2.6.2); copies
 * Record-Route into dialog-creating INVITE responses (§12.1.1); always sets Content-Length.
 */
export function buildResponse(req: ResponseSource, status: number, reason?: string, opts: BuildResponseOptions = {}): SipResponse {
  const headers: SipHeader[] = [];
  const copy = (key: string): void => {
    for (const h of req.headers) if (canonicalHeaderName(h.name) === key) headers.push({ name: LONG_NAMES[key]!, value: h.value });
  };
  copy('via');
  copy('from');
  for (const h of req.headers) {
    if (canonicalHeaderName(h.name) !== 'to') continue;
    let value = h.value;
    if (status > 100 && getTag(value) === undefined) value = `${value};tag=${opts.toTag ?? generateTag()}`;
    headers.push({ name: 'To', value });
    break;
  }
  copy('call-id');
  copy('cseq');
  if (req.method === 'INVITE' && status > 100 && status < 300) copy('record-route');
  let contentType = opts.contentType;
  for (const h of normalizeHeaders(opts.headers)) {
    const key = canonicalHeaderName(h.name);
    if (key === 'content-type') contentType ??= h.value;
    if (key === 'content-length' || key === 'content-type') continue;
    headers.push(sanitize(h));
  }
  const body = typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : (opts.body ?? Buffer.alloc(0));
  if (body.length > 0) headers.push(sanitize({ name: 'Content-Type', value: contentType ?? 'application/sdp' }));
  headers.push({ name: 'Content-Length', value: String(body.length) });
  const phrase = (reason ?? reasonPhrase(status)).replace(/[\r\n]/g, ' ');
  return { kind: 'response', version: 'SIP/2.0', status, reason: phrase, headers, body };
}

const LONG_NAMES: Record<string, string> = {
  via: 'Via', from: 'From', 'call-id': 'Call-ID', cseq: 'CSeq', 'record-route': 'Record-Route',
};

function normalizeHeaders(h: BuildResponseOptions['headers']): SipHeader[] {
  if (h === undefined) return [];
  if (Array.isArray(h)) return h;
  return Object.entries(h).map(([name, value]) => ({ name, value }));
}

// Header values come from our own code, but a CR/LF would let a caller's data inject headers.
function sanitize(h: SipHeader): SipHeader {
  return { name: h.name.replace(/[\r\n:]/g, ''), value: h.value.replace(/[\r\n]/g, ' ') };
}
