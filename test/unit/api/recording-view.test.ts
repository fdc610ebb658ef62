import { describe, expect, it } from 'vitest';
import { RecordingViewer } from '../../../src/api/recording-view.js';
import { MediaUrlSigner } from '../../../src/recordings/media-url-signer.js';
import { Pricing } from '../../../src/recordings/pricing.js';
import { ManualClock } from '../../../src/clock.js';
import { NEW_RECORDING_STORAGE, type Recording } from '../../../src/recordings/recording.js';

function recording(): Recording {
  const at = new Date('2026-06-01T00:00:00Z');
  return {
    id: 'RE1', accountId: 'AC1', callId: 'CA1', status: 'completed', source: 'upload', channels: 2, sampleRate: 8000, durationMs: 61_000,
    errorCode: null, errorMessage: null, dateCreated: at, dateUpdated: at, details: {}, ...NEW_RECORDING_STORAGE,
    media: { wav: { key: 'k.wav', bytes: 1, sha256: 'a' }, mp3: { key: 'k.mp3', bytes: 1, sha256: 'b' } },
  };
}

describe('RecordingViewer.rendered', () => {
  const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
  const viewer = new RecordingViewer(new MediaUrlSigner('secret-0123456789abcdef', [], 3600, 'https://rec.example.com', clock), new Pricing('0.0005', 'USD'), 'mp3');
  const counting = () => {
    let calls = 0;
    return { serialize: (view: object) => (calls++, JSON.stringify(view)), calls: () => calls };
  };

  it("keeps a cached (frozen) recording's text until its URLs' expiry moves, then renders fresh URLs", () => {
    const r = Object.freeze(recording());
    const s = counting();
    const first = viewer.rendered(r, s.serialize);
    expect(JSON.parse(first)).toEqual(viewer.view(r));
    clock.advance(30_000); // within the 60-second rounding step of a one-hour TTL
    expect(viewer.rendered(r, s.serialize)).toBe(first);
    expect(s.calls()).toBe(1);
    clock.advance(60_000);
    const later = viewer.rendered(r, s.serialize);
    expect(s.calls()).toBe(2);
    expect(later).not.toBe(first);
    expect(new URL(JSON.parse(later).media_url).searchParams.get('expires')).toBe(String(viewer['signer'].currentExpiry()));
  });

  it('renders every time for a recording that is not from the cache (not frozen)', () => {
    const r = recording();
    const s = counting();
    viewer.rendered(r, s.serialize);
    viewer.rendered(r, s.serialize);
    expect(s.calls()).toBe(2);
  });
});
