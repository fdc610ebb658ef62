import { describe, expect, it } from 'vitest';
import { KEEPALIVE_PONG, SipStreamFramer, type FrameEvent } from '../../../src/ingest/sip/stream-framer.js';

const msg = (cl: number, body = 'x'.repeat(cl)) => `OPTIONS sip:a@b SIP/2.0\r\nl: ${cl}\r\nCall-ID: 1\r\n\r\n${body}`;
const kinds = (evs: FrameEvent[]) => evs.map((e) => (e.type === 'message' ? `msg:${e.data.length}` : e.type === 'error' ? `error:${e.error.code}` : e.type));

describe('SipStreamFramer', () => {
  it('waits for the whole body, then emits messages one by one', () => {
    const f = new SipStreamFramer();
    const a = msg(5);
    expect(f.push(Buffer.from(a.slice(0, 10)))).toEqual([]);
    expect(f.push(Buffer.from(a.slice(10, a.length - 1)))).toEqual([]);
    expect(kinds(f.push(Buffer.from(a.slice(-1) + msg(0) + msg(3))))).toEqual([`msg:${a.length}`, `msg:${msg(0).length}`, `msg:${msg(3).length}`]);
    expect(f.buffered).toBe(0);
  });

  it('reports CRLFCRLF pings (answered with one CRLF) and drops lone CRLFs', () => {
    const f = new SipStreamFramer();
    expect(kinds(f.push(Buffer.from('\r\n\r\n')))).toEqual(['ping']);
    expect(kinds(f.push(Buffer.from('\r\n')))).toEqual([]);
    expect(kinds(f.push(Buffer.from('\r\n')))).toEqual(['ping']);
    expect(kinds(f.push(Buffer.from('\r\n' + msg(1))))).toEqual([`msg:${msg(1).length}`]);
    expect(KEEPALIVE_PONG.toString()).toBe('\r\n');
  });

  it('fails on a missing, negative or conflicting Content-Length and then ignores input', () => {
    const noCl = new SipStreamFramer();
    expect(kinds(noCl.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n')))).toEqual(['error:MISSING_CONTENT_LENGTH']);
    expect(noCl.push(Buffer.from(msg(0)))).toEqual([]);
    expect(kinds(new SipStreamFramer().push(Buffer.from(msg(0).replace('l: 0', 'Content-Length: -1'))))).toEqual(['error:BAD_CONTENT_LENGTH']);
    const two = 'OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nxx';
    expect(kinds(new SipStreamFramer().push(Buffer.from(two)))).toEqual(['error:DUPLICATE_HEADER']);
  });

  it('bounds the buffer: more than 64 KB without a header end is an error', () => {
    const f = new SipStreamFramer();
    expect(f.push(Buffer.alloc(60 * 1024, 0x41))).toEqual([]);
    expect(kinds(f.push(Buffer.alloc(5 * 1024, 0x41)))).toEqual(['error:NO_HEADER_END']);
    expect(f.buffered).toBe(0);
  });

  it('handles thousands of keep-alives in one chunk', () => {
    const evs = new SipStreamFramer().push(Buffer.from('\r\n'.repeat(20001)));
    expect(evs).toHaveLength(10000);
    expect(evs.every((e) => e.type === 'ping')).toBe(true);
  });
});
