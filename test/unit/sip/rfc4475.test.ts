import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNameAddr } from '../../../src/ingest/sip/sip-address.js';
import { isSipParseError, rejectionFor, SipParseError } from '../../../src/ingest/sip/sip-errors.js';
import { parseCSeq, parseVia } from '../../../src/ingest/sip/sip-fields.js';
import { getHeader, getHeaders, parseSipMessage, type SipRequest } from '../../../src/ingest/sip/sip-message.js';
import { precheckRequest } from '../../../src/ingest/sip/request-precheck.js';
import { RFC4475_DIR } from './helpers.js';

const load = (dir: string, name: string): Buffer => readFileSync(join(RFC4475_DIR, dir, `${name}.dat`));
const names = (dir: string): string[] => readdirSync(join(RFC4475_DIR, dir)).map((f) => f.replace(/\.dat$/, '')).sort();

// RFC 4475 §3.1.2 (and the §3.3 messages a parser must refuse): the code each one is refused with.
const INVALID: Record<string, string> = {
  badinv01: 'BAD_HEADER', clerr: 'BODY_TRUNCATED', ncl: 'BAD_CONTENT_LENGTH', scalar02: 'BAD_CSEQ',
  scalarlg: 'BAD_CSEQ', quotbal: 'UNTERMINATED_QUOTE', ltgtruri: 'BAD_URI', lwsruri: 'BAD_START_LINE',
  lwsstart: 'BAD_START_LINE', trws: 'BAD_START_LINE', escruri: 'BAD_URI', baddate: 'BAD_HEADER',
  regbadct: 'BAD_HEADER', badaspec: 'BAD_HEADER', baddn: 'BAD_HEADER', badvers: 'VERSION_NOT_SUPPORTED',
  mismatch01: 'CSEQ_MISMATCH', mismatch02: 'CSEQ_MISMATCH', bigcode: 'BAD_STATUS_CODE',
};

// RFC 4475 §3.3: well-formed messages and what this UAS answers after parsing (undefined: goes to the application).
const APPLICATION: Record<string, number | 'refused' | 'response' | undefined> = {
  insuf: 'refused', multi01: 'refused', mcl01: 'refused', bcast: 'response',
  unkscm: 416, novelsc: 416, unksm2: 405, bext01: 420, invut: 415, regaut01: 405,
  zeromf: undefined, cparam01: 405, cparam02: 405, regescrt: 405, sdp01: 406,
};

describe('RFC 4475 §3.1.1 valid messages', () => {
  it.each(names('valid'))('%s parses', (name) => {
    expect(() => parseSipMessage(load('valid', name))).not.toThrow();
  });

  it('wsinv: folding, compact forms, LWS everywhere, escaped quotes', () => {
    const msg = parseSipMessage(load('valid', 'wsinv')) as SipRequest;
    expect(msg.method).toBe('INVITE');
    expect(msg.body.length).toBe(150);
    const vias = getHeaders(msg, 'Via').flatMap(parseVia);
    expect(vias.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    const from = parseNameAddr(getHeader(msg, 'from')!);
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params['tag']).toBe('98asjd8');
    expect(parseNameAddr(getHeader(msg, 'To')!).params['tag']).toBe('1918181833n');
    expect(parseCSeq(getHeader(msg, 'CSeq')!)).toEqual({ seq: 9, method: 'INVITE' });
    expect(getHeader(msg, 'subject')).toBe('');
    expect(getHeader(msg, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(getHeaders(msg, 'UnknownHeaderWithUnusualValue')).toEqual([';;,,;;,;']);
    const contact = parseNameAddr(getHeaders(msg, 'Contact')[0]!);
    expect(contact.displayName).toBe('Quoted string ""');
    expect(contact.params).toMatchObject({ newparam: 'newvalue', secondparam: '', q: '0.33' });
  });

  it('intmeth: unusual tokens, quoted NUL/BEL/DEL and UTF-8 values', () => {
    const msg = parseSipMessage(load('valid', 'intmeth')) as SipRequest;
    expect(msg.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(parseNameAddr(getHeader(msg, 'To')!).displayName).toBe('BEL:\u0007 NUL:\u0000 DEL:\u007f');
    const from = parseNameAddr(getHeader(msg, 'From')!);
    expect(from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from.params["fromparam''~+*_!.-%"]).toBe('работающий');
    expect(getHeader(msg, "extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('dblreq: octets after Content-Length in a datagram are ignored', () => {
    const msg = parseSipMessage(load('valid', 'dblreq')) as SipRequest;
    expect(msg.method).toBe('REGISTER');
    expect(msg.body.length).toBe(0);
  });

  it('longreq: 34 Via values under many spellings of the name', () => {
    const msg = parseSipMessage(load('valid', 'longreq'));
    expect(getHeaders(msg, 'VIA')).toHaveLength(34);
  });

  it('mpart01: binary body with NULs is kept byte for byte', () => {
    const raw = load('valid', 'mpart01');
    const msg = parseSipMessage(raw);
    expect(msg.body.length).toBe(553);
    expect(msg.body.equals(raw.subarray(raw.length - 553))).toBe(true);
  });

  it('unreason / noreason: UTF-8 and empty reason phrases', () => {
    const un = parseSipMessage(load('valid', 'unreason'));
    expect(un.kind === 'response' && un.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    const no = parseSipMessage(load('valid', 'noreason'));
    expect(no.kind === 'response' && [no.status, no.reason]).toEqual([100, '']);
  });
});

describe('RFC 4475 §3.1.2 invalid messages', () => {
  it('covers every invalid fixture', () => {
    expect(names('invalid')).toEqual(Object.keys(INVALID).sort());
  });

  it.each(Object.entries(INVALID))('%s is refused with %s', (name, code) => {
    let caught: unknown;
    try {
      parseSipMessage(load('invalid', name));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SipParseError);
    expect((caught as SipParseError).code).toBe(code);
    const status = rejectionFor(caught as SipParseError).status;
    expect(status).toBe(code === 'VERSION_NOT_SUPPORTED' ? 505 : 400);
  });

  it('keeps enough of a refused request to answer it', () => {
    try {
      parseSipMessage(load('invalid', 'mismatch01'));
    } catch (err) {
      expect(isSipParseError(err) && err.partial?.method).toBe('OPTIONS');
      expect(isSipParseError(err) && getHeader(err.partial!, 'call-id')).toBe('mismatch01.dj0234sxdfl3');
    }
  });
});

describe('RFC 4475 §3.2-3.4 transaction, application and compatibility messages', () => {
  it('badbranch parses (the transaction layer falls back to RFC 2543 matching)', () => {
    const msg = parseSipMessage(load('transaction', 'badbranch'));
    expect(parseVia(getHeader(msg, 'via')!)[0]!.branch).toBe('z9hG4bK');
  });

  it('inv2543 parses without Max-Forwards, branch, tag or Content-Length', () => {
    const msg = parseSipMessage(load('compat', 'inv2543'));
    expect(getHeader(msg, 'max-forwards')).toBeUndefined();
    expect(msg.body.toString()).toContain('m=audio 49217 RTP/AVP 0');
  });

  it.each(Object.entries(APPLICATION))('%s -> %s', (name, expected) => {
    const buf = load('application', name);
    if (expected === 'refused') {
      expect(() => parseSipMessage(buf)).toThrow(SipParseError);
      return;
    }
    const msg = parseSipMessage(buf);
    if (expected === 'response') {
      expect(msg.kind).toBe('response');
      return;
    }
    expect(precheckRequest(msg as SipRequest)?.status).toBe(expected);
  });
});
