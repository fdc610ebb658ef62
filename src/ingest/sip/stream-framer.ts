import { SipParseError } from './sip-errors.js';
import { SIP_LIMITS } from './sip-message.js';

/** The single CRLF a server answers a CRLF-CRLF keep-alive ping with (RFC 5626 §3.5.1). */
export const KEEPALIVE_PONG = Buffer.from('\r\n');

/** What the framer found in the bytes pushed so far. */
export type FrameEvent =
  | { type: 'message'; data: Buffer }
  | { type: 'ping' }
  | { type: 'error'; error: SipParseError };

/** Bounds in bytes; garbage without a header end beyond maxHeaderBytes closes the connection. */
export interface StreamFramerOptions {
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Splits a TCP byte stream into SIP messages using Content-Length (mandatory on streams,
 * RFC 3261 §18.3). After an 'error' event the stream cannot be re-synchronised: the caller
 * must close the connection; further input is ignored.
 */
export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;

  constructor(opts: StreamFramerOptions = {}) {
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 64 * 1024;
    this.maxBodyBytes = opts.maxBodyBytes ?? SIP_LIMITS.maxBodyBytes;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Feeds received bytes; returns the complete messages, pings and at most one error. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.failed) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FrameEvent[] = [];
    for (;;) {
      const ev = this.next();
      if (ev === undefined) break;
      events.push(ev);
      if (ev.type === 'error') {
        this.failed = true;
        this.buf = Buffer.alloc(0);
        break;
      }
    }
    return events;
  }

  private next(): FrameEvent | undefined {
    // Leading CRLFs: a CRLFCRLF is a keep-alive ping; a lone CRLF is a pong or noise before
    // a start line (RFC 3261 §7.5) and is dropped. A loop, not recursion: a peer may send many.
    let b = this.buf;
    for (;;) {
      if (b.length > 0 && b[0] === 0x0a) {
        b = b.subarray(1);
        continue;
      }
      if (b.length === 0 || b[0] !== 0x0d) break;
      if (b.length < 2) break;
      if (b[1] !== 0x0a) return this.fail('MALFORMED', 'bare CR before start line');
      if (b.length >= 4 && b[2] === 0x0d && b[3] === 0x0a) {
        this.buf = b.subarray(4);
        return { type: 'ping' };
      }
      // "\r\n" or "\r\n\r": wait to see whether a ping is completing.
      if (b.length === 2 || (b.length === 3 && b[2] === 0x0d)) break;
      b = b.subarray(2);
    }
    this.buf = b;
    if (b.length === 0 || b[0] === 0x0d) return undefined;
    const headerEnd = b.indexOf(CRLFCRLF);
    if (headerEnd < 0) {
      if (b.length > this.maxHeaderBytes) return this.fail('NO_HEADER_END', `no header end within ${this.maxHeaderBytes} bytes`);
      return undefined;
    }
    if (headerEnd > this.maxHeaderBytes) return this.fail('HEADER_TOO_LARGE', 'header section too large');
    const length = contentLength(b, headerEnd, this.maxBodyBytes);
    if (typeof length !== 'number') return { type: 'error', error: length };
    const total = headerEnd + 4 + length;
    if (b.length < total) return undefined;
    // Copy so the message does not pin the (possibly larger) receive buffer.
    const data = Buffer.from(b.subarray(0, total));
    this.buf = b.subarray(total);
    return { type: 'message', data };
  }

  private fail(code: 'MALFORMED' | 'NO_HEADER_END' | 'HEADER_TOO_LARGE', msg: string): FrameEvent {
    return { type: 'error', error: new SipParseError(code, msg) };
  }
}

// Finds Content-Length ('l' compact form too) in the header section without decoding it all.
function contentLength(b: Buffer, headerEnd: number, maxBody: number): number | SipParseError {
  let found: number | undefined;
  let pos = 0;
  while (pos < headerEnd) {
    let eol = b.indexOf(0x0a, pos);
    if (eol < 0 || eol > headerEnd) eol = headerEnd;
    const colon = b.indexOf(0x3a, pos);
    if (colon > pos && colon < eol) {
      const name = b.toString('latin1', pos, colon).trim().toLowerCase();
      if (name === 'content-length' || name === 'l') {
        const raw = b.toString('latin1', colon + 1, eol).trim();
        let n = 0;
        let ok = raw.length > 0;
        for (let i = 0; i < raw.length && ok; i++) {
          const c = raw.charCodeAt(i);
          if (c < 0x30 || c > 0x39) ok = false;
          else n = n * 10 + (c - 0x30);
          if (n > maxBody) ok = false;
        }
        if (!ok) return new SipParseError('BAD_CONTENT_LENGTH', `Content-Length '${raw.slice(0, 24)}' unusable on a stream`);
        if (found !== undefined && found !== n) return new SipParseError('DUPLICATE_HEADER', 'conflicting Content-Length headers');
        found = n;
      }
    }
    pos = eol + 1;
  }
  if (found === undefined) return new SipParseError('MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports');
  return found;
}
