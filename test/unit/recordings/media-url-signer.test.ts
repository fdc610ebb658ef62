import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { MediaUrlSigner } from '../../../src/recordings/media-url-signer.js';
import { ManualClock } from '../../../src/clock.js';

function partsOf(url: string) {
  const u = new URL(url);
  const [recordingId, format] = u.pathname.split('/').pop()!.split('.');
  return { recordingId, format, expires: u.searchParams.get('expires')!, signature: u.searchParams.get('signature')! };
}

describe('MediaUrlSigner', () => {
  const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
  const signer = new MediaUrlSigner('current-secret-0123456789', ['previous-secret-0123456789'], 3600, 'https://rec.example.com', clock);

  it('builds absolute URLs under PUBLIC_URL whose signature is HMAC-SHA256 over id, format and expiry', () => {
    const url = signer.urlFor('RE1', 'wav');
    expect(url.startsWith('https://rec.example.com/v1/recordings/media/RE1.wav?expires=')).toBe(true);
    const p = partsOf(url);
    // TTL 3600 s rounds down to a 60-second step; the clock sits on a step boundary here.
    expect(Number(p.expires)).toBe(Date.parse("2026-06-01T01:00:00Z") / 1000);
    const expected = createHmac('sha256', 'current-secret-0123456789').update(`RE1\nwav\n${p.expires}`).digest('base64url');
    expect(p.signature).toBe(expected);
    expect(signer.verify(p)).toBe(true);
  });

  it('rejects another recording, another format, a moved expiry and a flipped signature bit', () => {
    const p = partsOf(signer.urlFor('RE1', 'mp3'));
    expect(signer.verify({ ...p, recordingId: 'RE2' })).toBe(false);
    expect(signer.verify({ ...p, format: 'wav' })).toBe(false);
    expect(signer.verify({ ...p, expires: String(Number(p.expires) + 60) })).toBe(false);
    const sig = Buffer.from(p.signature, 'base64url');
    sig[0] ^= 1;
    expect(signer.verify({ ...p, signature: sig.toString('base64url') })).toBe(false);
    expect(signer.verify({ ...p, signature: '' })).toBe(false);
    expect(signer.verify({ ...p, expires: '-1' })).toBe(false);
  });

  it('expires exactly after the TTL', () => {
    const p = partsOf(signer.urlFor('RE1', 'wav'));
    clock.advance(3600_000);
    expect(signer.verify(p)).toBe(true);
    clock.advance(1000);
    expect(signer.verify(p)).toBe(false);
    clock.advance(-3601_000);
  });

  it('verifies URLs signed by a previous secret, but signs only with the current one', () => {
    const old = new MediaUrlSigner('previous-secret-0123456789', [], 3600, 'https://rec.example.com', clock);
    const p = partsOf(old.urlFor('RE9', 'wav'));
    expect(signer.verify(p)).toBe(true);
    const retired = new MediaUrlSigner('current-secret-0123456789', [], 3600, 'https://rec.example.com', clock);
    expect(retired.verify(p)).toBe(false);
  });
});
