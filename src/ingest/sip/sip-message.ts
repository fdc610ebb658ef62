import { parseNameAddr } from './sip-address.js';
import { isSipParseError, SipParseError, type PartialSipMessage } from './sip-errors.js';
import { checkDate, checkExpires, parseContentLength, parseCSeq, parseMaxForwards, parseVia } from './sip-fields.js';
import { canonicalHeaderName, getHeader, getHeaders } from './sip-headers.js';
import { isDigits, isToken, isWsp, splitTopLevel, trimWsp } from './sip-scanner.js';
import { parseUri } from './sip-uri.js';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from './sip-types.js';

export type { SipHeader, SipMessage, SipRequest, SipResponse } from './sip-types.js';
export { getHeader, getHeaders } from './sip-headers.js';

/** Limits and transport semantics for parseSipMessage; every size is in bytes. */
export interface SipParseOptions {
  /** Stream transport (TCP): Content-Length is mandatory (RFC 3261 §18.3). Default: datagram. */
  stream?: boolean;
  maxMessageBytes?: number;
  maxHeaderSectionBytes?: number;
  maxHeaderLineBytes?: number;
  maxHeaders?: number;
  maxBodyBytes?: number;
}

/** Defaults sized for SIPREC INVITEs (SDP + metadata) while bounding what a peer can make us hold. */
export const SIP_LIMITS: Readonly<Required<Omit<SipParseOptions, 'stream'>>> = {
  maxMessageBytes: 1024 * 1024,
  maxHeaderSectionBytes: 64 * 1024,
  maxHeaderLineBytes: 16 * 1024,
  maxHeaders: 200,
  maxBodyBytes: 512 * 1024,
};
type Limits = typeof SIP_LIMITS;

const SINGLE_HEADERS = ['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type', 'expires', 'date'];

/**
 * Parses one SIP message (RFC 3261 §7) strictly enough for RFC 4475: accepts folding,
 * compact names, odd-but-legal tokens and binary bodies; anything malformed throws
 * SipParseError (never any other error), carrying `partial` when headers were readable.
 */
export function parseSipMessage(buf: Buffer, opts: SipParseOptions = {}): SipMessage {
  const lim = { ...SIP_LIMITS, ...opts };
  const partial: PartialSipMessage = { kind: 'request', headers: [] };
  try {
    return parseInner(buf, lim, opts.stream === true, partial);
  } catch (err) {
    const e = isSipParseError(err) ? err : new SipParseError('MALFORMED', `unexpected parser failure: ${String(err)}`);
    if (partial.headers.length > 0 || partial.method !== undefined) e.partial = partial;
    throw e;
  }
}

function parseInner(buf: Buffer, lim: Limits, stream: boolean, partial: PartialSipMessage): SipMessage {
  if (buf.length > lim.maxMessageBytes) throw new SipParseError('MESSAGE_TOO_LARGE', `message of ${buf.length} bytes`);
  let pos = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored (they are also keep-alives).
  while (pos < buf.length && (buf[pos] === 0x0d || buf[pos] === 0x0a)) pos++;
  if (pos >= buf.length) throw new SipParseError('EMPTY', 'no start line');

  const lines: string[] = [];
  let bodyStart = -1;
  let sectionBytes = 0;
  while (pos < buf.length) {
    const lf = buf.indexOf(0x0a, pos);
    const end = lf < 0 ? buf.length : lf;
    const lineEnd = end > pos && buf[end - 1] === 0x0d ? end - 1 : end;
    sectionBytes += end - pos + 1;
    if (sectionBytes > lim.maxHeaderSectionBytes) throw new SipParseError('HEADER_TOO_LARGE', 'header section too large');
    if (lineEnd === pos) {
      bodyStart = end + 1;
      break;
    }
    lines.push(buf.toString('utf8', pos, lineEnd));
    pos = lf < 0 ? buf.length : lf + 1;
  }
  if (bodyStart < 0) {
    // A datagram may omit the final empty line when it has no body; a stream never may.
    if (stream) throw new SipParseError('NO_HEADER_END', 'no empty line after headers');
    bodyStart = buf.length;
  }

  const startLine = lines[0]!;
  const isResponse = startLine.startsWith('SIP/');
  partial.kind = isResponse ? 'response' : 'request';
  if (!isResponse) partial.method = startLine.slice(0, Math.max(0, startLine.indexOf(' ')));
  collectHeaders(lines, lim, partial.headers);

  const msg = isResponse ? parseStatusLine(startLine, partial.headers) : parseRequestLine(startLine, partial.headers);
  validateHeaders(msg);
  msg.body = readBody(buf, bodyStart, msg, lim, stream);
  return msg;
}

function collectHeaders(lines: string[], lim: Limits, out: SipHeader[]): void {
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (isWsp(line.charCodeAt(0))) {
      // Folded continuation (RFC 3261 §7.3.1): equivalent to a single space.
      const prev = out[out.length - 1];
      if (prev === undefined) throw new SipParseError('BAD_HEADER', 'continuation line before any header');
      prev.value = trimWsp(`${prev.value} ${trimWsp(line)}`);
      if (prev.value.length > lim.maxHeaderLineBytes) throw new SipParseError('HEADER_TOO_LARGE', `${prev.name} too long`, prev.name);
      continue;
    }
    if (line.length > lim.maxHeaderLineBytes) throw new SipParseError('HEADER_TOO_LARGE', 'header line too long');
    // A bare CR inside a line could split the header when we copy it into a response.
    if (line.includes('\r')) throw new SipParseError('BAD_HEADER', 'bare CR inside a header line');
    const colon = line.indexOf(':');
    if (colon < 0) throw new SipParseError('BAD_HEADER', `header line without ':' (${line.slice(0, 40)})`);
    const name = trimWsp(line.slice(0, colon));
    if (!isToken(name)) throw new SipParseError('BAD_HEADER', `bad header name '${name.slice(0, 40)}'`);
    if (out.length >= lim.maxHeaders) throw new SipParseError('TOO_MANY_HEADERS', `more than ${lim.maxHeaders} headers`);
    out.push({ name, value: trimWsp(line.slice(colon + 1)) });
  }
}

function checkVersion(version: string): string {
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; "SIP" is case-insensitive (RFC 3261 §25.1).
  const dot = version.indexOf('.');
  const ok = version.length > 4 && version.slice(0, 4).toUpperCase() === 'SIP/' && dot > 4 &&
    isDigits(version.slice(4, dot)) && isDigits(version.slice(dot + 1));
  if (!ok) throw new SipParseError('BAD_VERSION', `bad SIP version '${version.slice(0, 20)}'`);
  if (version.slice(4) !== '2.0') throw new SipParseError('VERSION_NOT_SUPPORTED', `SIP version ${version.slice(4, 20)}`);
  return 'SIP/2.0';
}

function parseRequestLine(line: string, headers: SipHeader[]): SipRequest {
  // Exactly one SP between the three elements: extra SP (lwsstart, trws) or LWS in the URI (lwsruri) is malformed.
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) {
    throw new SipParseError('BAD_START_LINE', `request line must be 'Method SP URI SP SIP/2.0' (${line.slice(0, 60)})`);
  }
  const [method, uri, version] = parts as [string, string, string];
  if (!isToken(method)) throw new SipParseError('BAD_METHOD', `bad method '${method.slice(0, 30)}'`);
  const parsed = parseUri(uri);
  if (parsed.sip && Object.keys(parsed.sip.headers).length > 0) {
    // RFC 4475 §3.1.2.11 escruri: headers are not allowed in a SIP Request-URI.
    throw new SipParseError('BAD_URI', 'Request-URI carries escaped headers');
  }
  return { kind: 'request', method, uri, version: checkVersion(version), headers, body: Buffer.alloc(0) };
}

function parseStatusLine(line: string, headers: SipHeader[]): SipResponse {
  const sp1 = line.indexOf(' ');
  if (sp1 < 0) throw new SipParseError('BAD_START_LINE', 'status line without status code');
  const version = checkVersion(line.slice(0, sp1));
  const sp2 = line.indexOf(' ', sp1 + 1);
  const code = line.slice(sp1 + 1, sp2 < 0 ? line.length : sp2);
  const status = Number(code);
  if (code.length !== 3 || !isDigits(code) || status < 100 || status > 699) {
    throw new SipParseError('BAD_STATUS_CODE', `bad status code '${code.slice(0, 12)}'`);
  }
  const reason = sp2 < 0 ? '' : line.slice(sp2 + 1);
  return { kind: 'response', version, status, reason, headers, body: Buffer.alloc(0) };
}

function validateHeaders(msg: SipMessage): void {
  const counts = new Map<string, number>();
  for (const h of msg.headers) {
    const key = canonicalHeaderName(h.name);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const key of SINGLE_HEADERS) {
    if ((counts.get(key) ?? 0) > 1) throw new SipParseError('DUPLICATE_HEADER', `more than one ${key} header`, key);
  }
  const required = ['via', 'from', 'to', 'call-id', 'cseq'];
  for (const key of required) {
    if (!counts.has(key)) throw new SipParseError('MISSING_HEADER', `missing ${key} header`, key);
  }
  // Each Via line as a whole, so empty elements between commas (badinv01) are caught too.
  for (const h of msg.headers) if (canonicalHeaderName(h.name) === 'via') parseVia(h.value);
  parseNameAddr(getHeader(msg, 'from')!, 'From');
  parseNameAddr(getHeader(msg, 'to')!, 'To');
  const callId = getHeader(msg, 'call-id')!;
  if (callId.length === 0 || /\s/.test(callId)) throw new SipParseError('BAD_HEADER', 'Call-ID empty or with spaces', 'Call-ID');
  const cseq = parseCSeq(getHeader(msg, 'cseq')!);
  if (msg.kind === 'request') {
    if (cseq.method !== msg.method) {
      throw new SipParseError('CSEQ_MISMATCH', `CSeq method ${cseq.method} does not match ${msg.method.slice(0, 30)}`, 'CSeq');
    }
    // Max-Forwards is optional: RFC 2543 peers (RFC 4475 §3.4.1) do not send it; if present it must be valid.
    const mf = getHeader(msg, 'max-forwards');
    if (mf !== undefined) parseMaxForwards(mf);
  }
  for (const name of ['contact', 'route', 'record-route']) {
    for (const v of getHeaders(msg, name)) {
      if (!(name === 'contact' && v === '*')) parseNameAddr(v, name);
    }
  }
  const expires = getHeader(msg, 'expires');
  if (expires !== undefined) checkExpires(expires);
  const date = getHeader(msg, 'date');
  if (date !== undefined) checkDate(date);
  const ctype = getHeader(msg, 'content-type');
  if (ctype !== undefined) checkContentType(ctype);
}

function checkContentType(value: string): void {
  const media = splitTopLevel(value, ';')[0] ?? '';
  const slash = media.indexOf('/');
  if (slash < 0 || !isToken(media.slice(0, slash).trim()) || !isToken(media.slice(slash + 1).trim())) {
    throw new SipParseError('BAD_HEADER', `bad Content-Type '${value.slice(0, 40)}'`, 'Content-Type');
  }
}

function readBody(buf: Buffer, start: number, msg: SipMessage, lim: Limits, stream: boolean): Buffer {
  const available = Math.max(0, buf.length - start);
  const cl = getHeader(msg, 'content-length');
  if (cl === undefined) {
    if (stream) throw new SipParseError('MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports');
    if (available > lim.maxBodyBytes) throw new SipParseError('MESSAGE_TOO_LARGE', `body of ${available} bytes`);
    return Buffer.from(buf.subarray(start));
  }
  const length = parseContentLength(cl, lim.maxBodyBytes);
  if (length > available) {
    throw new SipParseError('BODY_TRUNCATED', `Content-Length ${length} but only ${available} body bytes`, 'Content-Length');
  }
  // Octets past Content-Length in a datagram are noise and are ignored (RFC 3261 §18.3, RFC 4475 dblreq).
  return Buffer.from(buf.subarray(start, start + length));
}

/** Writes a message in wire form; Content-Length is always rewritten to the real body length. */
export function serializeSipMessage(msg: SipMessage): Buffer {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} ${msg.version}` : `${msg.version} ${msg.status} ${msg.reason}`;
  let head = start + '\r\n';
  for (const h of msg.headers) {
    if (canonicalHeaderName(h.name) === 'content-length') continue;
    head += `${h.name}: ${h.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  return msg.body.length === 0 ? Buffer.from(head, 'utf8') : Buffer.concat([Buffer.from(head, 'utf8'), msg.body]);
}
