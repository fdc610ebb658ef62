import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { MediaFormat } from './recording.js';

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
  constructor(
    private readonly secret: string,
    private readonly previousSecrets: string[],
    private readonly ttlSeconds: number,
    private readonly publicUrl: string,
    private readonly clock: Clock,
  ) {}

  private static mac(secret: string, recordingId: string, format: string, expires: string): Buffer {
    return createHmac('sha256', secret).update(`${recordingId}\n${format}\n${expires}`).digest();
  }

  /** Absolute URL for one rendition, valid for the configured TTL from now. */
  urlFor(recordingId: string, format: MediaFormat): string {
    const expires = String(Math.floor(this.clock.now().getTime() / 1000) + this.ttlSeconds);
    const signature = MediaUrlSigner.mac(this.secret, recordingId, format, expires).toString('base64url');
    return `${this.publicUrl}/v1/recordings/media/${recordingId}.${format}?expires=${expires}&signature=${signature}`;
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
