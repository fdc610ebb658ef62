import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';

/** Derives the export URL key from a service secret, so it never doubles as a media URL or stream token key. */
function deriveKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('telefonie export-url v1').digest();
}

/**
 * Signs export bundle download URLs: HMAC-SHA256 over the export id and the expiry, with a
 * key derived from MEDIA_URL_SECRET (previous secrets keep verifying during a rotation).
 * The URL needs no API key; it grants one bundle until it expires.
 */
export class ExportUrlSigner {
  private readonly signingKey: Buffer;
  private readonly verifyKeys: Buffer[];

  constructor(
    secret: string,
    previousSecrets: string[],
    private readonly ttlSeconds: number,
    private readonly publicUrl: string,
    private readonly clock: Clock,
  ) {
    this.signingKey = deriveKey(secret);
    this.verifyKeys = [this.signingKey, ...previousSecrets.map(deriveKey)];
  }

  private static mac(key: Buffer, exportId: string, expires: string): Buffer {
    return createHmac('sha256', key).update(`${exportId}\n${expires}`).digest();
  }

  /** Absolute download URL valid for the configured TTL from now, and when it expires. */
  urlFor(exportId: string): { url: string; expiresAt: Date } {
    const expires = Math.floor(this.clock.now().getTime() / 1000) + this.ttlSeconds;
    const signature = ExportUrlSigner.mac(this.signingKey, exportId, String(expires)).toString('base64url');
    return { url: `${this.publicUrl}/v1/recordings/exports/${exportId}/download?expires=${expires}&signature=${signature}`, expiresAt: new Date(expires * 1000) };
  }

  /** True only for an unexpired URL signed by the current or a previous secret; never says which check failed. */
  verify(exportId: string, expires: string, signature: string): boolean {
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < this.clock.now().getTime()) return false;
    if (!/^[A-Za-z0-9_-]{43}$/.test(signature)) return false;
    const presented = Buffer.from(signature, 'base64url');
    return this.verifyKeys.some((key) => timingSafeEqual(presented, ExportUrlSigner.mac(key, exportId, expires)));
  }
}
