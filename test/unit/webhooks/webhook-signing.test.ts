import { describe, expect, it } from 'vitest';
import { computeSignature, generateWebhookSecret, maskSecret, signatureHeader, verifySignature } from '../../../src/webhooks/webhook-signing.js';
import { loadReadmeVerifier } from '../../helpers/webhook-receiver.js';

// Computed outside this code base: printf '%s' '1700000000.{"id":"EV1","type":"recording.completed"}' | openssl dgst -sha256 -hmac 'whsec_test-secret'
const VECTOR = {
  secret: 'whsec_test-secret',
  t: 1700000000,
  body: '{"id":"EV1","type":"recording.completed"}',
  hex: '54b705381c3a976de168eeab84bfb32306ce05bc77b0571545ec09bc464001b2',
};
// Non-ASCII secret and body are hashed as UTF-8 (Python hmac over .encode()).
const UTF8_VECTOR = { secret: 'whsec_ümlaut', t: 1700000001, body: '{"name":"José"}', hex: '179dfe24a512e0d2e6918afecec338b66b946e4c65b901221dac86e2cb4be460' };

describe('webhook signatures', () => {
  it('match independently computed HMAC-SHA256 values over "timestamp.body"', () => {
    expect(computeSignature(VECTOR.secret, VECTOR.t, VECTOR.body)).toBe(VECTOR.hex);
    expect(computeSignature(UTF8_VECTOR.secret, UTF8_VECTOR.t, UTF8_VECTOR.body)).toBe(UTF8_VECTOR.hex);
    expect(signatureHeader(VECTOR.secret, VECTOR.t, VECTOR.body)).toBe(`t=${VECTOR.t},v1=${VECTOR.hex}`);
  });

  it('verify accepts the right signature within the tolerance and nothing else', () => {
    const header = `t=${VECTOR.t},v1=${VECTOR.hex}`;
    const now = VECTOR.t + 10;
    expect(verifySignature(VECTOR.secret, header, VECTOR.body, now)).toBe(true);
    expect(verifySignature(VECTOR.secret, header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='), VECTOR.body, now)).toBe(true);
    expect(verifySignature(VECTOR.secret, header, VECTOR.body + ' ', now)).toBe(false);
    expect(verifySignature(VECTOR.secret, header, VECTOR.body.replace('completed', 'failed'), now)).toBe(false);
    expect(verifySignature(VECTOR.secret, `t=${VECTOR.t + 1},v1=${VECTOR.hex}`, VECTOR.body, now)).toBe(false);
    expect(verifySignature('whsec_other', header, VECTOR.body, now)).toBe(false);
    // Replay protection: too old or too far in the future.
    expect(verifySignature(VECTOR.secret, header, VECTOR.body, VECTOR.t + 301)).toBe(false);
    expect(verifySignature(VECTOR.secret, header, VECTOR.body, VECTOR.t - 301)).toBe(false);
    expect(verifySignature(VECTOR.secret, header, VECTOR.body, VECTOR.t + 3600, 7200)).toBe(true);
    // Malformed headers.
    for (const bad of [undefined, '', 'garbage', `v1=${VECTOR.hex}`, `t=${VECTOR.t}`, `t=abc,v1=${VECTOR.hex}`, `t=${VECTOR.t},v1=zz`, `t=${VECTOR.t},v1=${VECTOR.hex.slice(2)}`]) {
      expect(verifySignature(VECTOR.secret, bad, VECTOR.body, now), String(bad)).toBe(false);
    }
    // Any matching v1 among several is enough (room for overlapping secrets).
    expect(verifySignature(VECTOR.secret, `t=${VECTOR.t},v1=${'0'.repeat(64)},v1=${VECTOR.hex}`, VECTOR.body, now)).toBe(true);
  });

  it('the README snippet agrees with the server on the same vectors', async () => {
    const verify = await loadReadmeVerifier();
    const t = Math.floor(Date.now() / 1000);
    const header = signatureHeader(VECTOR.secret, t, VECTOR.body);
    expect(verify(VECTOR.secret, header, VECTOR.body)).toBe(true);
    expect(verify(VECTOR.secret, header, Buffer.from(VECTOR.body))).toBe(true);
    expect(verify(UTF8_VECTOR.secret, signatureHeader(UTF8_VECTOR.secret, t, UTF8_VECTOR.body), Buffer.from(UTF8_VECTOR.body))).toBe(true);
    expect(verify(VECTOR.secret, header, VECTOR.body + ' ')).toBe(false);
    expect(verify(VECTOR.secret, header.replace(`t=${t}`, `t=${t - 1}`), VECTOR.body)).toBe(false);
    expect(verify(VECTOR.secret, signatureHeader(VECTOR.secret, t - 301, VECTOR.body), VECTOR.body)).toBe(false);
    expect(verify(VECTOR.secret, undefined, VECTOR.body)).toBe(false);
    expect(verify(VECTOR.secret, `t=${t},v1=`, VECTOR.body)).toBe(false);
  });

  it('secrets are whsec_ plus 32 random bytes, and masked to their last 4 characters', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(6), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(maskSecret(a)).toBe(`whsec_…${a.slice(-4)}`);
  });
});
