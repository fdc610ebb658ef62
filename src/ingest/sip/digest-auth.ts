import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { splitTopLevel, trimWsp } from './sip-scanner.js';

/** Digest algorithms accepted (RFC 8760 adds SHA-256 to SIP; MD5 remains the common one). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** Options for a challenge; `now` (ms since epoch) is injectable for tests. */
export interface ChallengeOptions {
  algorithm?: DigestAlgorithm;
  /** Set after a 'stale' verdict so the client retries with the new nonce without asking the user. */
  stale?: boolean;
  now?: number;
}

/** A challenge: the nonce and the full WWW-Authenticate / Proxy-Authenticate header value. */
export interface DigestChallenge {
  nonce: string;
  headerValue: string;
}

/** Credentials and request data to check an Authorization / Proxy-Authorization header against. */
export interface VerifyOptions {
  method: string;
  realm: string;
  username: string;
  password: string;
  secret: string;
  /** If given, the digest-uri must equal it (RFC 3261 §22.4 ties the response to the Request-URI). */
  uri?: string;
  now?: number;
  /** Nonce lifetime in ms; default 5 minutes. */
  maxAgeMs?: number;
}

/** ok: authenticated; stale: right password but expired nonce (re-challenge with stale=true); invalid: anything else. */
export interface DigestVerdict {
  result: 'ok' | 'stale' | 'invalid';
  reason?: string;
}

const NONCE_MAX_AGE_MS = 5 * 60 * 1000;

// Stateless nonce: "<ms timestamp>.<salt>.<hmac>"; the HMAC over timestamp, salt and realm proves
// we issued it, the timestamp bounds its age. Replays inside the window are not detected.
function nonceMac(secret: string, ts: string, salt: string, realm: string): string {
  return createHmac('sha256', secret).update(`${ts}.${salt}.${realm}`).digest('base64url').slice(0, 32);
}

/** Creates a digest challenge with a stateless, expiring nonce (qop=auth). */
export function createChallenge(realm: string, secret: string, opts: ChallengeOptions = {}): DigestChallenge {
  const ts = String(opts.now ?? Date.now());
  const salt = randomBytes(6).toString('base64url');
  const nonce = `${ts}.${salt}.${nonceMac(secret, ts, salt, realm)}`;
  const algorithm = opts.algorithm ?? 'MD5';
  let headerValue = `Digest realm="${quote(realm)}", nonce="${nonce}", algorithm=${algorithm}, qop="auth"`;
  if (opts.stale) headerValue += ', stale=true';
  return { nonce, headerValue };
}

/** Parses `Digest k=v, k="v"` into lower-cased keys; undefined when not a Digest credential. */
export function parseDigestCredentials(header: string): Record<string, string> | undefined {
  const h = trimWsp(header);
  if (h.length < 7 || h.slice(0, 6).toLowerCase() !== 'digest' || (h[6] !== ' ' && h[6] !== '\t')) return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of splitTopLevel(h.slice(7))) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let v = trimWsp(part.slice(eq + 1));
    if (v.startsWith('"')) {
      if (v.length < 2 || !v.endsWith('"')) return undefined;
      v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    out[trimWsp(part.slice(0, eq)).toLowerCase()] = v;
  }
  return out;
}

/** Verifies a Digest Authorization header (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760). Never throws. */
export function verifyAuthorization(header: string, opts: VerifyOptions): DigestVerdict {
  const c = parseDigestCredentials(header);
  if (c === undefined) return { result: 'invalid', reason: 'not a Digest credential' };
  const { username, realm, nonce, uri, response } = c;
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return { result: 'invalid', reason: 'missing digest parameter' };
  }
  if (username !== opts.username || realm !== opts.realm) return { result: 'invalid', reason: 'unknown user or realm' };
  if (opts.uri !== undefined && uri !== opts.uri) return { result: 'invalid', reason: 'digest-uri does not match Request-URI' };
  const algorithm = (c['algorithm'] ?? 'MD5').toUpperCase();
  const hashName = algorithm === 'MD5' || algorithm === 'MD5-SESS' ? 'md5' : algorithm === 'SHA-256' || algorithm === 'SHA-256-SESS' ? 'sha256' : undefined;
  if (hashName === undefined) return { result: 'invalid', reason: `unsupported algorithm ${algorithm.slice(0, 20)}` };
  const H = (s: string): string => createHash(hashName).update(s, 'utf8').digest('hex');
  const qop = c['qop'];
  if (qop !== undefined && qop !== 'auth') return { result: 'invalid', reason: 'only qop=auth is supported' };
  const nc = c['nc'] ?? '';
  const cnonce = c['cnonce'] ?? '';
  if (qop === 'auth' && (nc === '' || cnonce === '')) return { result: 'invalid', reason: 'qop=auth without nc/cnonce' };
  if (algorithm.endsWith('-SESS') && cnonce === '') return { result: 'invalid', reason: '-sess algorithm without cnonce' };
  let ha1 = H(`${username}:${realm}:${opts.password}`);
  if (algorithm.endsWith('-SESS')) ha1 = H(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = H(`${opts.method}:${uri}`);
  const expected = qop === 'auth' ? H(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);
  if (!safeEqual(expected, response.toLowerCase())) return { result: 'invalid', reason: 'wrong response' };
  const age = checkNonce(nonce, opts);
  if (age === 'forged') return { result: 'invalid', reason: 'nonce not issued by us' };
  if (age === 'expired') return { result: 'stale', reason: 'nonce expired' };
  return { result: 'ok' };
}

function checkNonce(nonce: string, opts: VerifyOptions): 'fresh' | 'expired' | 'forged' {
  const parts = nonce.split('.');
  if (parts.length !== 3) return 'forged';
  const [ts, salt, mac] = parts as [string, string, string];
  if (!safeEqual(nonceMac(opts.secret, ts, salt, opts.realm), mac)) return 'forged';
  const issued = Number(ts);
  const now = opts.now ?? Date.now();
  if (!Number.isFinite(issued) || issued > now + 60_000) return 'forged';
  return now - issued > (opts.maxAgeMs ?? NONCE_MAX_AGE_MS) ? 'expired' : 'fresh';
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

function quote(s: string): string {
  return s.replace(/[\\"]/g, (ch) => `\\${ch}`).replace(/[\r\n]/g, ' ');
}
