import { createHmac, timingSafeEqual } from 'node:crypto';

/** Longest lifetime a stream token may be minted with, in seconds. */
export const STREAM_TOKEN_MAX_TTL_SECONDS = 3600;
/** Lifetime when the caller does not ask for one, in seconds. */
export const STREAM_TOKEN_DEFAULT_TTL_SECONDS = 300;

const VERSION = 'st1';
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Derives the token key from a service secret, so a token key never doubles as a media URL key. */
function deriveKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('telefonie stream-token v1').digest();
}

/**
 * Short-lived, stateless credentials for WebSocket media streams from platforms that
 * cannot set an X-API-Key header: `st1.<accountId>.<expiresUnixSeconds>.<HMAC-SHA256>`,
 * signed with a key derived from the service secret. Nothing is stored, so a token is
 * valid until it expires however often it is used (not one-time), and revoking the API
 * key that minted it does not revoke it; lifetimes are capped at an hour for that reason.
 * Previous secrets keep verifying during a secret rotation, as for media URLs.
 */
export class StreamTokens {
  private readonly signingKey: Buffer;
  private readonly verifyKeys: Buffer[];

  constructor(secret: string, previousSecrets: string[] = []) {
    this.signingKey = deriveKey(secret);
    this.verifyKeys = [this.signingKey, ...previousSecrets.map(deriveKey)];
  }

  /** Mints a token for `accountId` valid `ttlSeconds` from `nowMs`. */
  mint(accountId: string, ttlSeconds: number, nowMs: number = Date.now()): { token: string; expiresAt: Date } {
    if (!ACCOUNT_ID.test(accountId)) throw new RangeError(`invalid account id ${accountId}`);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > STREAM_TOKEN_MAX_TTL_SECONDS) throw new RangeError(`invalid ttl ${ttlSeconds}`);
    const expires = Math.floor(nowMs / 1000) + ttlSeconds;
    const body = `${VERSION}.${accountId}.${expires}`;
    return { token: `${body}.${mac(this.signingKey, body).toString('base64url')}`, expiresAt: new Date(expires * 1000) };
  }

  /** The account a token grants, or null when it is malformed, tampered with or expired (never says which). */
  verify(token: string | undefined, nowMs: number = Date.now()): { accountId: string } | null {
    if (!token || token.length > 200) return null;
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return null;
    const [, accountId, expires, signature] = parts;
    if (!ACCOUNT_ID.test(accountId) || !/^\d{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return null;
    if (Number(expires) * 1000 <= nowMs) return null;
    const presented = Buffer.from(signature, 'base64url');
    const body = `${VERSION}.${accountId}.${expires}`;
    for (const key of this.verifyKeys) {
      const expected = mac(key, body);
      if (presented.length === expected.length && timingSafeEqual(presented, expected)) return { accountId };
    }
    return null;
  }
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}
