import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { MediaFormat } from './recording.js';

/** What a media URL can name: a rendition, or the redacted copy of one (transcript redaction). */
export type SignedMediaFormat = MediaFormat | `redacted.${MediaFormat}`;

/** The parts of a signed media URL a request carries. */
export interface SignedMediaRequest {
  recordingId: string;
  format: string;
  expires: string;
  signature: string;
}

/**
 * Signs media download URLs: HMAC-SHA256 over recording id, format and expiry.
 * URLs need no API key; they grant one format of one recording until they expire.
 * Old secrets keep verifying during rotation, but only the current one signs.
 */
export class MediaUrlSigner {
  /** Expiry times are rounded down to this many seconds so repeated reads reuse one URL (and its HMAC). */
  private readonly expiryStepSeconds: number;
  private readonly cache = new Map<string, { expires: number; url: string }>();

  constructor(
    private readonly secret: string,
    private readonly previousSecrets: string[],
    private readonly ttlSeconds: number,
    private readonly publicUrl: string,
    private readonly clock: Clock,
  ) {
    this.expiryStepSeconds = Math.max(1, Math.min(60, Math.floor(ttlSeconds / 10)));
  }

  private static mac(secret: string, recordingId: string, format: string, expires: string): Buffer {
    return createHmac('sha256', secret).update(`${recordingId}\n${format}\n${expires}`).digest();
  }

  /**
   * Absolute URL for one rendition, valid for the configured TTL from now, less at most
   * one rounding step (TTL/10, capped at 60 s): URLs stay identical for that step, which
   * spares an HMAC per read and lets clients and proxies cache them.
   */
  urlFor(recordingId: string, format: SignedMediaFormat): string {
    const expires = this.currentExpiry();
    const cacheKey = `${recordingId}.${format}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expires === expires) return cached.url;
    const signature = MediaUrlSigner.mac(this.secret, recordingId, format, String(expires)).toString('base64url');
    const url = `${this.publicUrl}/v1/recordings/media/${recordingId}.${format}?expires=${expires}&signature=${signature}`;
    // Bounded: a full cache is dropped wholesale, cheaper than LRU bookkeeping per read.
    if (this.cache.size >= 20_000) this.cache.clear();
    this.cache.set(cacheKey, { expires, url });
    return url;
  }

  /** The expiry (Unix seconds) URLs signed now carry; it moves once per rounding step. */
  currentExpiry(): number {
    const step = this.expiryStepSeconds;
    return Math.floor((Math.floor(this.clock.now().getTime() / 1000) + this.ttlSeconds) / step) * step;
  }

  /** True only for an unexpired URL signed by the current or a previous secret; never says which check failed. */
  verify(req: SignedMediaRequest): boolean {
    if (!/^\d{1,12}$/.test(req.expires)) return false;
    if (Number(req.expires) * 1000 < this.clock.now().getTime()) return false;
    let presented: Buffer;
    try {
      presented = Buffer.from(req.signature, 'base64url');
    } catch {
      return false;
    }
    if (presented.length !== 32) return false;
    return [this.secret, ...this.previousSecrets].some((secret) =>
      timingSafeEqual(presented, MediaUrlSigner.mac(secret, req.recordingId, req.format, req.expires)),
    );
  }
}
