import { describe, expect, it } from 'vitest';
import { decodeBase64Samples, decodedLength, scanMedia, type ScannedMedia } from '../../../src/ingest/ws/twilio-media-scan.js';
import { mulawDecode } from '../../../src/media/g711.js';

const TABLE = mulawDecode(Uint8Array.from({ length: 256 }, (_, i) => i));

function scan(text: string): (ScannedMedia & { track: string; pcm: Int16Array | null }) | null {
  const buf = Buffer.from(text);
  const out: ScannedMedia = { trackStart: 0, trackEnd: 0, timestampMs: 0, payloadStart: 0, payloadEnd: 0 };
  if (!scanMedia(buf, out)) return null;
  const n = decodedLength(buf, out.payloadStart, out.payloadEnd);
  const pcm = n >= 0 ? new Int16Array(n) : null;
  const ok = pcm !== null && decodeBase64Samples(buf, out.payloadStart, out.payloadEnd, TABLE, pcm);
  return { ...out, track: buf.toString('latin1', out.trackStart, out.trackEnd), pcm: ok ? pcm : null };
}

describe('Twilio media scanner', () => {
  const bytes = Uint8Array.from({ length: 160 }, (_, i) => (i * 37 + 5) & 0xff);
  const b64 = Buffer.from(bytes).toString('base64');

  it('reads track, timestamp and payload of a Twilio media message exactly as JSON.parse would', () => {
    const msg = `{"event":"media","sequenceNumber":"3","media":{"track":"outbound","chunk":"1","timestamp":"5","payload":"${b64}"},"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"}`;
    const got = scan(msg)!;
    expect(got.track).toBe('outbound');
    expect(got.timestampMs).toBe(5);
    expect(Array.from(got.pcm!)).toEqual(Array.from(mulawDecode(bytes)));
    expect(scan(msg.replace('"timestamp":"5"', '"timestamp":1234'))!.timestampMs).toBe(1234);
  });

  it('decodes every payload length, padded or not', () => {
    for (let n = 1; n <= 9; n++) {
      const part = bytes.subarray(0, n);
      for (const text of [Buffer.from(part).toString('base64'), Buffer.from(part).toString('base64url')]) {
        const got = scan(`{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"${text}"}}`)!;
        expect(Array.from(got.pcm!), `${n} bytes as ${text}`).toEqual(Array.from(mulawDecode(part)));
      }
    }
  });

  it('declines what it cannot read safely, so the caller falls back to JSON.parse', () => {
    expect(scan(`{"event":"start","media":{"track":"inbound","timestamp":"0","payload":"${b64}"}}`)).toBeNull();
    expect(scan(`{"event": "media","media":{"track":"inbound","timestamp":"0","payload":"${b64}"}}`)).toBeNull();
    expect(scan(`{"event":"media","media":{"track":"in\\"bound","timestamp":"0","payload":"${b64}"}}`)).toBeNull();
    expect(scan(`{"event":"media","media":{"timestamp":"0","payload":"${b64}"}}`)).toBeNull();
    expect(scan(`{"event":"media","media":{"track":"inbound","timestamp":"0"}}`)).toBeNull();
    expect(scan(`{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"${b64}`)).toBeNull();
  });

  it('flags bad base64 and unreadable timestamps', () => {
    expect(scan('{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"AB!D"}}')!.pcm).toBeNull();
    expect(scan('{"event":"media","media":{"track":"inbound","timestamp":"0","payload":"ABCDE"}}')!.pcm).toBeNull();
    expect(scan(`{"event":"media","media":{"track":"inbound","timestamp":"soon","payload":"${b64}"}}`)!.timestampMs).toBeNaN();
    expect(scan(`{"event":"media","media":{"track":"inbound","timestamp":"-20","payload":"${b64}"}}`)!.timestampMs).toBeNaN();
  });
});
