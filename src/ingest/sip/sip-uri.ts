import { SipParseError } from './sip-errors.js';
import type { SipParams } from './sip-types.js';

/** A SIP or SIPS URI split into its RFC 3261 §19.1 parts; user and params stay %-escaped. */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: SipParams;
  headers: Record<string, string>;
}

/** Any absolute URI; `sip` is set for sip: and sips: URIs. */
export interface ParsedUri {
  scheme: string;
  raw: string;
  sip?: SipUri;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const UNRESERVED = ALNUM + "-_.!~*'()";
function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}
// RFC 3261 §25.1 character sets ('%' is checked separately as an escape).
// '#' is not legal unescaped, but PBXs put it in feature codes (sip:*67#123@host): tolerated in the user part.
const USER = table(UNRESERVED + '&=+$,;?/#');
const PASSWORD = table(UNRESERVED + '&=+$,');
const PARAM = table(UNRESERVED + '[]/:&+$');
const HEADER = table(UNRESERVED + '[]/?:+$');
const URIC = table(UNRESERVED + ';/?:@&=+$,[]#');
const HOST = table(ALNUM + '-._');
const SCHEME = table(ALNUM + '+-.');

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

// Checks `s` against a character table, allowing '%' only as the start of % HEX HEX.
function allowed(s: string, t: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
    } else if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

function bad(raw: string, why: string): never {
  throw new SipParseError('BAD_URI', `bad URI '${raw.slice(0, 80)}': ${why}`);
}

/** Validates any absolute URI (scheme ':' opaque part) and parses it further when it is SIP/SIPS. */
export function parseUri(raw: string): ParsedUri {
  const colon = raw.indexOf(':');
  if (colon <= 0) bad(raw, 'no scheme');
  const scheme = raw.slice(0, colon).toLowerCase();
  const first = scheme.charCodeAt(0);
  if (!(first >= 0x61 && first <= 0x7a) || !allowed(scheme, SCHEME)) bad(raw, 'bad scheme');
  const rest = raw.slice(colon + 1);
  if (rest.length === 0) bad(raw, 'empty after scheme');
  if (scheme === 'sip' || scheme === 'sips') return { scheme, raw, sip: parseSipUri(raw) };
  if (!allowed(rest, URIC)) bad(raw, 'character not allowed in a URI');
  return { scheme, raw };
}

/** Parses a sip: or sips: URI; throws SipParseError('BAD_URI') when it does not follow RFC 3261. */
export function parseSipUri(raw: string): SipUri {
  const colon = raw.indexOf(':');
  const scheme = raw.slice(0, colon).toLowerCase();
  if (colon < 0 || (scheme !== 'sip' && scheme !== 'sips')) bad(raw, 'not a sip/sips URI');
  let rest = raw.slice(colon + 1);
  const uri: SipUri = {
    scheme: scheme as 'sip' | 'sips',
    host: '',
    params: Object.create(null) as SipParams,
    headers: Object.create(null) as Record<string, string>,
  };
  // '@' may only appear once, literally, ending the userinfo: it is excluded from host, params and headers.
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pw = userinfo.indexOf(':');
    const user = pw >= 0 ? userinfo.slice(0, pw) : userinfo;
    if (user.length === 0 || !allowed(user, USER)) bad(raw, 'bad user part');
    uri.user = user;
    if (pw >= 0) {
      const password = userinfo.slice(pw + 1);
      if (!allowed(password, PASSWORD)) bad(raw, 'bad password');
      uri.password = password;
    }
    rest = rest.slice(at + 1);
  }
  let i = 0;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) bad(raw, 'unterminated IPv6 reference');
    const v6 = rest.slice(1, close);
    for (let k = 0; k < v6.length; k++) {
      const c = v6.charCodeAt(k);
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) bad(raw, 'bad IPv6 reference');
    }
    if (v6.length < 2) bad(raw, 'bad IPv6 reference');
    i = close + 1;
  } else {
    while (i < rest.length && rest.charCodeAt(i) < 128 && HOST[rest.charCodeAt(i)] === 1) i++;
    if (i === 0) bad(raw, 'missing host');
  }
  uri.host = rest.slice(0, i);
  if (rest[i] === ':') {
    let j = i + 1;
    while (j < rest.length && rest.charCodeAt(j) >= 0x30 && rest.charCodeAt(j) <= 0x39) j++;
    const port = Number(rest.slice(i + 1, j));
    if (j === i + 1 || j - i > 6 || port > 65535) bad(raw, 'bad port');
    uri.port = port;
    i = j;
  }
  const q = rest.indexOf('?', i);
  const paramText = rest.slice(i, q < 0 ? rest.length : q);
  if (paramText.length > 0) {
    if (paramText[0] !== ';') bad(raw, 'unexpected character after host');
    for (const p of paramText.slice(1).split(';')) {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? '' : p.slice(eq + 1);
      if (name.length === 0 || !allowed(name, PARAM) || !allowed(value, PARAM)) bad(raw, 'bad parameter');
      uri.params[name.toLowerCase()] = value;
    }
  }
  if (q >= 0) {
    for (const h of rest.slice(q + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0 || !allowed(h.slice(0, eq), HEADER) || !allowed(h.slice(eq + 1), HEADER)) bad(raw, 'bad header part');
      uri.headers[h.slice(0, eq)] = h.slice(eq + 1);
    }
  }
  return uri;
}

/** Decodes %HH escapes (RFC 3261 §19.1.4: compare URIs after unescaping); malformed escapes stay as they are. */
export function unescapeUri(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Copy one whole code point so surrogate pairs survive the round trip.
      const cp = s.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
