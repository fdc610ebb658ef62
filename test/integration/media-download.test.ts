import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { ManualClock } from '../../src/clock.js';
import { noise, pcmWav } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';

function tamper(url: string, param: string, value: (old: string) => string): string {
  const u = new URL(url);
  u.searchParams.set(param, value(u.searchParams.get(param)!));
  return u.toString();
}

describe.each(backendNames())('signed media downloads on %s (streamed through the service)', (backend) => {
  let server: TestServer;
  let recording: any;
  let wavBytes: Buffer;
  const clock = new ManualClock();
  beforeAll(async () => {
    // MEDIA_DELIVERY=proxy streams S3 objects through us; the redirect mode is tested below.
    server = await startTestServer(backend, { clock, env: { MEDIA_URL_TTL: '600', MEDIA_DELIVERY: 'proxy' } });
    recording = await waitForRecording(server, (await uploadAudio(server, pcmWav(noise(16000, 3), 8000, 2), 'audio/wav', '?call_id=CA-media')).id);
    wavBytes = (await download(recording.media_urls.wav)).body;
  });
  afterAll(async () => server?.close());

  it('serves both formats with type, length, ETag and a file name, and needs no API key', async () => {
    for (const [format, type] of [['wav', 'audio/wav'], ['mp3', 'audio/mpeg']] as const) {
      const { res, body } = await download(recording.media_urls[format]);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${recording.id}.${format}"`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
    }
    expect(recording.media_urls.wav.startsWith(server.baseUrl + '/v1/recordings/media/')).toBe(true);
  });

  it('answers HEAD with headers only', async () => {
    const res = await fetch(recording.media_urls.wav, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(wavBytes.length);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves byte ranges (206) and refuses unsatisfiable ones (416)', async () => {
    const mid = await download(recording.media_urls.wav, { headers: { range: 'bytes=100-1099' } });
    expect(mid.res.status).toBe(206);
    expect(mid.res.headers.get('content-range')).toBe(`bytes 100-1099/${wavBytes.length}`);
    expect(mid.body.equals(wavBytes.subarray(100, 1100))).toBe(true);
    const open = await download(recording.media_urls.wav, { headers: { range: `bytes=${wavBytes.length - 10}-` } });
    expect(open.body.equals(wavBytes.subarray(wavBytes.length - 10))).toBe(true);
    const suffix = await download(recording.media_urls.wav, { headers: { range: 'bytes=-44' } });
    expect(suffix.res.status).toBe(206);
    expect(suffix.body.equals(wavBytes.subarray(wavBytes.length - 44))).toBe(true);
    const beyond = await fetch(recording.media_urls.wav, { headers: { range: `bytes=${wavBytes.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${wavBytes.length}`);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const etag = (await fetch(recording.media_urls.mp3, { method: 'HEAD' })).headers.get('etag')!;
    expect((await fetch(recording.media_urls.mp3, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('refuses tampered URLs with the same 403 whatever part was changed', async () => {
    const url = recording.media_urls.wav;
    const variants = [
      tamper(url, 'signature', (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)),
      tamper(url, 'expires', (e) => String(Number(e) + 1)),
      url.replace('.wav?', '.mp3?'),
      url.replace(recording.id, recording.id.slice(0, -1) + (recording.id.endsWith('0') ? '1' : '0')),
      url.split('?')[0],
      tamper(url, 'signature', () => 'not-base64!!'),
    ];
    const bodies = new Set<string>();
    for (const variant of variants) {
      const res = await fetch(variant);
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body.code).toBe('media_url_invalid');
      bodies.add(body.detail);
    }
    expect(bodies.size).toBe(1);
  });

  it('expires after MEDIA_URL_TTL seconds', async () => {
    const fresh = (await (await server.api(`/recordings/${recording.id}`)).json()).media_urls.wav;
    expect((await fetch(fresh, { method: 'HEAD' })).status).toBe(200);
    clock.advance(601_000);
    const res = await fetch(fresh);
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('media_url_invalid');
    clock.advance(-601_000);
  });

  it('after DELETE: 404 for the recording and its URLs, media gone from storage, second delete 404', async () => {
    const rec = await waitForRecording(server, (await uploadAudio(server, pcmWav(noise(8000, 9), 8000, 1))).id);
    const keys = [`recordings/${server.account.accountId}/${rec.id}.wav`, `recordings/${server.account.accountId}/${rec.id}.mp3`];
    for (const key of keys) expect(await server.app.blobs.stat(key)).not.toBeNull();
    const del = await server.api(`/recordings/${rec.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await server.api(`/recordings/${rec.id}`)).status).toBe(404);
    expect((await fetch(rec.media_urls.wav)).status).toBe(404);
    expect((await fetch(rec.media_urls.mp3)).status).toBe(404);
    for (const key of keys) expect(await server.app.blobs.stat(key)).toBeNull();
    const again = await server.api(`/recordings/${rec.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await again.json()).code).toBe('recording_not_found');
  });
});

describe('media URL secret rotation', () => {
  it('keeps URLs signed with a previous secret valid while the new secret signs', async () => {
    const oldSecret = 'old-secret-0123456789abcdef';
    const server = await startTestServer('sqlite+disk', { env: { MEDIA_URL_SECRET: oldSecret } });
    try {
      const rec = await waitForRecording(server, (await uploadAudio(server, pcmWav(noise(8000, 4), 8000, 1))).id);
      const { MediaUrlSigner } = await import('../../src/recordings/media-url-signer.js');
      const clock = { now: () => new Date() };
      const rotated = new MediaUrlSigner('new-secret-0123456789abcdef', [oldSecret], 600, server.baseUrl, clock);
      const withoutOld = new MediaUrlSigner('new-secret-0123456789abcdef', [], 600, server.baseUrl, clock);
      const parts = (url: string) => {
        const u = new URL(url);
        const file = u.pathname.split('/').pop()!;
        return { recordingId: file.split('.')[0], format: file.split('.')[1], expires: u.searchParams.get('expires')!, signature: u.searchParams.get('signature')! };
      };
      expect(rotated.verify(parts(rec.media_urls.wav))).toBe(true);
      expect(withoutOld.verify(parts(rec.media_urls.wav))).toBe(false);
      expect(rotated.verify(parts(rotated.urlFor(rec.id, 'wav')))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
