import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNameAddr } from '../../../src/ingest/sip/sip-address.js';
import { SipParseError } from '../../../src/ingest/sip/sip-errors.js';
import { parseVia } from '../../../src/ingest/sip/sip-fields.js';
import { getHeader, getHeaders, parseSipMessage, serializeSipMessage, type SipRequest } from '../../../src/ingest/sip/sip-message.js';
import { buildResponse } from '../../../src/ingest/sip/sip-response.js';
import { parseSipUri, unescapeUri } from '../../../src/ingest/sip/sip-uri.js';
import { stampVia, udpResponseTarget } from '../../../src/ingest/sip/transaction-keys.js';
import { RFC4475_DIR, sipText } from './helpers.js';

const BASE = [
  'INVITE sip:srs@192.0.2.1 SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK776asdhds;rport',
  'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKpx',
  'Max-Forwards: 70',
  'From: "Src" <sip:src@198.51.100.7>;tag=1928301774',
  'To: <sip:srs@192.0.2.1>',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'Record-Route: <sip:p1.example.com;lr>',
  'Content-Length: 0',
];
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof SipParseError ? err.code : `non-SipParseError: ${String(err)}`;
  }
  return undefined;
};

describe('parseSipMessage', () => {
  it('accepts bare-LF line ends and CRLFs before the start line', () => {
    const msg = parseSipMessage(Buffer.from('\r\n\r\n' + BASE.join('\n') + '\n\n'));
    expect(msg.kind === 'request' && msg.method).toBe('INVITE');
  });

  it('requires Content-Length on streams and rejects bodies shorter than it', () => {
    const noCl = sipText(BASE.filter((l) => !l.startsWith('Content-Length')));
    expect(codeOf(() => parseSipMessage(noCl, { stream: true }))).toBe('MISSING_CONTENT_LENGTH');
    expect(codeOf(() => parseSipMessage(noCl))).toBeUndefined();
    const short = sipText([...BASE.slice(0, -1), 'Content-Length: 10'], 'v=0');
    expect(codeOf(() => parseSipMessage(short))).toBe('BODY_TRUNCATED');
    const huge = sipText([...BASE.slice(0, -1), 'Content-Length: 99999999999999999999'], '');
    expect(codeOf(() => parseSipMessage(huge))).toBe('BAD_CONTENT_LENGTH');
  });

  it('enforces header count and size limits', () => {
    const many = sipText([...BASE, ...Array.from({ length: 300 }, (_, i) => `X-H${i}: v`)]);
    expect(codeOf(() => parseSipMessage(many))).toBe('TOO_MANY_HEADERS');
    const long = sipText([...BASE, `X-Long: ${'a'.repeat(20_000)}`]);
    expect(codeOf(() => parseSipMessage(long))).toBe('HEADER_TOO_LARGE');
  });

  it('refuses missing mandatory headers, bad Max-Forwards and header lines without a colon', () => {
    expect(codeOf(() => parseSipMessage(sipText(BASE.filter((l) => !l.startsWith('Call-ID')))))).toBe('MISSING_HEADER');
    expect(codeOf(() => parseSipMessage(sipText(BASE.map((l) => (l.startsWith('Max') ? 'Max-Forwards: 256' : l)))))).toBe('BAD_HEADER');
    expect(codeOf(() => parseSipMessage(sipText([...BASE, 'NoColonHere'])))).toBe('BAD_HEADER');
    expect(codeOf(() => parseSipMessage(sipText([BASE[0]!, ' folded first', ...BASE.slice(1)])))).toBe('BAD_HEADER');
  });

  it('tolerates what PBXs send although RFC 3261 forbids it: unquoted UTF-8 display names, # in the user part', () => {
    const msg = parseSipMessage(sipText(BASE.map((l) => (l.startsWith('From') ? 'From: José Müller <sip:*67#123@198.51.100.7>;tag=1' : l))));
    expect(parseNameAddr(getHeader(msg, 'from')!).displayName).toBe('José Müller');
  });

  it('catches empty Via elements and bare CRs inside header lines', () => {
    expect(codeOf(() => parseSipMessage(sipText([...BASE, 'Via: SIP/2.0/UDP h;branch=z9hG4bK9,,'])))).toBe('BAD_HEADER');
    expect(codeOf(() => parseSipMessage(sipText([...BASE, 'X-Inject: a\rVia: evil'])))).toBe('BAD_HEADER');
  });

  it('keeps body bytes exactly, binary included', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0]);
    const head = sipText([...BASE.slice(0, -1), `Content-Length: ${body.length}`]);
    expect(parseSipMessage(Buffer.concat([head, body])).body.equals(body)).toBe(true);
  });

  it('never throws anything but SipParseError on mutated and random input', () => {
    const seeds = ['valid', 'invalid', 'application'].flatMap((d) => readdirSync(join(RFC4475_DIR, d)).map((f) => readFileSync(join(RFC4475_DIR, d, f))));
    let rnd = 12345;
    const next = () => (rnd = (rnd * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[i % seeds.length]!;
      const buf = Buffer.from(seed);
      const edits = 1 + (next() % 8);
      for (let e = 0; e < edits; e++) buf[next() % buf.length] = next() % 256;
      const cut = i % 3 === 0 ? buf.subarray(0, next() % buf.length) : buf;
      const code = codeOf(() => parseSipMessage(cut));
      expect(code === undefined || !code.startsWith('non-SipParseError'), code).toBe(true);
    }
    for (let i = 0; i < 500; i++) {
      const buf = Buffer.alloc(next() % 400);
      for (let k = 0; k < buf.length; k++) buf[k] = next() % 256;
      const code = codeOf(() => parseSipMessage(buf));
      expect(code === undefined || !code.startsWith('non-SipParseError'), code).toBe(true);
    }
  });

  it('round-trips through serializeSipMessage', () => {
    const msg = parseSipMessage(readFileSync(join(RFC4475_DIR, 'valid/wsinv.dat')));
    const again = parseSipMessage(serializeSipMessage(msg));
    expect(again.headers.length).toBe(msg.headers.length);
    expect(again.body.equals(msg.body)).toBe(true);
  });
});

describe('header helpers', () => {
  it('getHeader is compact-form and case aware; getHeaders splits list headers only', () => {
    const msg = parseSipMessage(sipText(['OPTIONS sip:a@b SIP/2.0', 'v: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2', 'f: <sip:x@y>;tag=1', 't: <sip:a@b>', 'i: abc', 'CSEQ: 1 OPTIONS', 'Subject: a, b', 'l: 0']));
    expect(getHeader(msg, 'Call-ID')).toBe('abc');
    expect(getHeaders(msg, 'via')).toHaveLength(2);
    expect(getHeaders(msg, 's')).toEqual(['a, b']);
  });

  it('parses name-addr, URI and Via details', () => {
    const na = parseNameAddr('"Alice \\"A\\"" <sip:alice:pw@[2001:db8::1]:5070;transport=tcp?subject=hi>;tag=x;q=0.5');
    expect(na.displayName).toBe('Alice "A"');
    expect(na.params).toMatchObject({ tag: 'x', q: '0.5' });
    const uri = parseSipUri(na.uri);
    expect([uri.user, uri.password, uri.host, uri.port, uri.params['transport'], uri.headers['subject']]).toEqual(['alice', 'pw', '[2001:db8::1]', 5070, 'tcp', 'hi']);
    expect(unescapeUri('sips%3Auser%40example.com')).toBe('sips:user@example.com');
    const [via] = parseVia('SIP/2.0/TCP 10.0.0.1:5061;branch=z9hG4bKx;received=1.2.3.4;rport=9');
    expect([via!.transport, via!.host, via!.port, via!.branch, via!.received, via!.rport]).toEqual(['TCP', '10.0.0.1', 5061, 'z9hG4bKx', '1.2.3.4', 9]);
  });
});

describe('buildResponse', () => {
  const req = parseSipMessage(sipText(BASE)) as SipRequest;

  it('copies Vias, From, To (+tag), Call-ID, CSeq and Record-Route for a 2xx to INVITE', () => {
    const res = buildResponse(req, 200, undefined, { toTag: 'abc', body: 'v=0\r\n', headers: { Contact: '<sip:srs@192.0.2.1>' } });
    expect(res.reason).toBe('OK');
    expect(getHeaders(res, 'via')).toEqual(getHeaders(req, 'via'));
    expect(getHeader(res, 'to')).toBe('<sip:srs@192.0.2.1>;tag=abc');
    expect(getHeader(res, 'record-route')).toBe('<sip:p1.example.com;lr>');
    expect(getHeader(res, 'content-type')).toBe('application/sdp');
    expect(getHeader(res, 'content-length')).toBe('5');
    expect(parseSipMessage(serializeSipMessage(res)).kind).toBe('response');
  });

  it('adds no To tag to 100 Trying and no Record-Route to errors', () => {
    expect(getHeader(buildResponse(req, 100), 'to')).toBe('<sip:srs@192.0.2.1>');
    expect(getHeader(buildResponse(req, 486), 'record-route')).toBeUndefined();
    expect(getHeader(buildResponse(req, 486), 'content-length')).toBe('0');
  });

  it('fills received and rport, and targets the response there (RFC 3261 §18.2.2, RFC 3581)', () => {
    const r = parseSipMessage(sipText(BASE)) as SipRequest;
    stampVia(r, '203.0.113.9', 40000);
    expect(getHeaders(r, 'via')[0]).toBe('SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK776asdhds;received=203.0.113.9;rport=40000');
    expect(udpResponseTarget(r)).toEqual({ address: '203.0.113.9', port: 40000 });
    const noRport = parseSipMessage(sipText(BASE.map((l) => l.replace(';rport', '')))) as SipRequest;
    stampVia(noRport, '198.51.100.7', 40000);
    expect(udpResponseTarget(noRport)).toEqual({ address: '198.51.100.7', port: 5062 });
  });
});
