import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChallenge, parseDigestCredentials, verifyAuthorization } from '../../../src/ingest/sip/digest-auth.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const NOW = 1_700_000_000_000;
const base = { method: 'INVITE', realm: 'rec.example.com', username: 'src', password: 's3cret', secret: 'server-key', now: NOW + 1000 };

function authorization(nonce: string, o: { alg?: 'MD5' | 'SHA-256'; password?: string; uri?: string; qop?: boolean } = {}): string {
  const H = o.alg === 'SHA-256' ? sha256 : md5;
  const uri = o.uri ?? 'sip:srs@rec.example.com';
  const ha1 = H(`src:rec.example.com:${o.password ?? 's3cret'}`);
  const ha2 = H(`INVITE:${uri}`);
  const qop = o.qop ?? true;
  const response = qop ? H(`${ha1}:${nonce}:00000001:0a4f113b:auth:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="src", realm="rec.example.com", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${o.alg ?? 'MD5'}` +
    (qop ? ', qop=auth, nc=00000001, cnonce="0a4f113b"' : '');
}

describe('digest authentication', () => {
  it('reproduces the RFC 2617 §3.5 example response (MD5, qop=auth)', () => {
    const header = 'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const c = parseDigestCredentials(header)!;
    const ha1 = md5('Mufasa:testrealm@host.com:Circle Of Life');
    const ha2 = md5('GET:/dir/index.html');
    expect(md5(`${ha1}:${c['nonce']}:${c['nc']}:${c['cnonce']}:auth:${ha2}`)).toBe(c['response']);
    // Our verifier computes the same digest, then refuses the nonce because we did not issue it.
    const v = verifyAuthorization(header, { method: 'GET', realm: 'testrealm@host.com', username: 'Mufasa', password: 'Circle Of Life', secret: 'k' });
    expect(v).toEqual({ result: 'invalid', reason: 'nonce not issued by us' });
  });

  it('creates a challenge header with realm, nonce, algorithm and qop', () => {
    const ch = createChallenge('rec.example.com', 'server-key', { now: NOW, algorithm: 'SHA-256' });
    expect(ch.headerValue).toBe(`Digest realm="rec.example.com", nonce="${ch.nonce}", algorithm=SHA-256, qop="auth"`);
    expect(createChallenge('r', 'k', { stale: true }).headerValue).toMatch(/, stale=true$/);
  });

  it('accepts correct MD5 and SHA-256 credentials, with and without qop', () => {
    const { nonce } = createChallenge('rec.example.com', 'server-key', { now: NOW });
    expect(verifyAuthorization(authorization(nonce), base).result).toBe('ok');
    expect(verifyAuthorization(authorization(nonce, { alg: 'SHA-256' }), base).result).toBe('ok');
    expect(verifyAuthorization(authorization(nonce, { qop: false }), base).result).toBe('ok');
  });

  it('rejects a wrong password, another user, a forged nonce and a mismatched URI', () => {
    const { nonce } = createChallenge('rec.example.com', 'server-key', { now: NOW });
    expect(verifyAuthorization(authorization(nonce, { password: 'nope' }), base).result).toBe('invalid');
    expect(verifyAuthorization(authorization(nonce), { ...base, username: 'other' }).result).toBe('invalid');
    expect(verifyAuthorization(authorization(nonce), { ...base, secret: 'other-key' }).result).toBe('invalid');
    expect(verifyAuthorization(authorization(nonce), { ...base, uri: 'sip:elsewhere@x' }).result).toBe('invalid');
    expect(verifyAuthorization('Basic dXNlcjpwYXNz', base).result).toBe('invalid');
    expect(verifyAuthorization('Digest username="src', base).result).toBe('invalid');
  });

  it('reports stale for a correct response with an expired nonce (default lifetime 5 minutes)', () => {
    const { nonce } = createChallenge('rec.example.com', 'server-key', { now: NOW });
    expect(verifyAuthorization(authorization(nonce), { ...base, now: NOW + 5 * 60 * 1000 + 1 }).result).toBe('stale');
    expect(verifyAuthorization(authorization(nonce, { password: 'x' }), { ...base, now: NOW + 10 * 60 * 1000 }).result).toBe('invalid');
  });
});
