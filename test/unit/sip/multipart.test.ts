import { describe, expect, it } from 'vitest';
import { parseContentType, parseMultipart } from '../../../src/ingest/sip/multipart.js';

describe('parseMultipart', () => {
  const crlfBody = ['preamble', '--b1', 'Content-Type: Application/SDP', '', 'v=0', '--b1', 'content-type: application/rs-metadata+xml', 'Content-Disposition: recording-session', '', '<recording/>', '--b1--', 'epilogue'].join('\r\n');

  it('splits CRLF parts, skips preamble and epilogue, lower-cases the part type', () => {
    const parts = parseMultipart(Buffer.from(crlfBody), 'multipart/mixed; boundary="b1"');
    expect(parts.map((p) => [p.contentType, p.body.toString()])).toEqual([
      ['application/sdp', 'v=0'],
      ['application/rs-metadata+xml', '<recording/>'],
    ]);
    expect(parts[1]!.headers['content-disposition']).toBe('recording-session');
  });

  it('accepts bare LF, an unquoted boundary and a missing close delimiter', () => {
    const body = '--b2\nContent-Type: application/sdp\n\nv=0\nm=audio 1 RTP/AVP 0\n\n--b2\nContent-Type: text/plain\n\ntail\n';
    const parts = parseMultipart(Buffer.from(body), 'multipart/mixed;boundary=b2');
    expect(parts.map((p) => p.contentType)).toEqual(['application/sdp', 'text/plain']);
    expect(parts[0]!.body.toString()).toBe('v=0\nm=audio 1 RTP/AVP 0\n');
    expect(parts[1]!.body.toString()).toBe('tail\n');
  });

  it('finds the boundary in the body when the header lacks it or names another', () => {
    expect(parseMultipart(Buffer.from(crlfBody), 'multipart/mixed')).toHaveLength(2);
    expect(parseMultipart(Buffer.from(crlfBody), 'multipart/mixed;boundary=nope')).toHaveLength(2);
  });

  it('does not split on a boundary string in the middle of a line', () => {
    const body = '--b3\r\nContent-Type: text/plain\r\n\r\nsee --b3 here\r\n--b3--';
    expect(parseMultipart(Buffer.from(body), 'multipart/mixed;boundary=b3')[0]!.body.toString()).toBe('see --b3 here');
  });

  it('returns a non-multipart body as one part', () => {
    const parts = parseMultipart(Buffer.from('v=0\r\n'), 'Application/SDP; charset=utf-8');
    expect(parts).toHaveLength(1);
    expect(parts[0]!.contentType).toBe('application/sdp');
  });

  it('parses Content-Type parameters with quotes and escapes', () => {
    expect(parseContentType('multipart/mixed; Boundary="a \\"b\\"";x=1')).toEqual({ mediaType: 'multipart/mixed', params: { boundary: 'a "b"', x: '1' } });
  });

  it('never throws on garbage', () => {
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(Array.from({ length: i * 3 }, (_, k) => (k * 31 + i) % 256));
      expect(() => parseMultipart(Buffer.concat([Buffer.from('--x\r\n'), junk]), 'multipart/mixed;boundary=x')).not.toThrow();
    }
  });
});
