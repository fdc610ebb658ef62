import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'Telefonie-Signature';

/** How far a signature's timestamp may be from the receiver's clock, in seconds (the README snippet's default). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A fresh endpoint or callback secret: `whsec_` and 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Hex HMAC-SHA256 of `timestamp + "." + body`, keyed with the whole secret string (UTF-8). */
export function computeSignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/** The Telefonie-Signature header value for one attempt. */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${computeSignature(secret, timestampSeconds, body)}`;
}

/**
 * Receiver-side check, the same logic as the README snippet: the header parses, its
 * timestamp is within `toleranceSeconds` of `nowSeconds`, and one of its `v1` values is the
 * HMAC of this exact body (compared in constant time).
 */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  if (!header) return false;
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') candidates.push(value);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(computeSignature(secret, Number(timestamp), body), 'hex');
  return candidates.some((c) => /^[0-9a-f]{64}$/i.test(c) && timingSafeEqual(Buffer.from(c, 'hex'), expected));
}

/** A secret as GET shows it: the prefix and the last 4 characters. */
export function maskSecret(secret: string): string {
  return `whsec_…${secret.slice(-4)}`;
}
