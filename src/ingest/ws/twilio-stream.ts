import { ID_PREFIX, newId } from '../../ids.js';
import { alawDecode, mulawDecode } from '../../media/g711.js';
import { FrameReorder } from './frame-reorder.js';
import { decodeBase64Samples, decodedLength, scanMedia, type ScannedMedia } from './twilio-media-scan.js';
import { callIdField, pickField, stringField, StreamSession, CLOSE, type StreamContext, type StreamSocket } from './stream-session.js';

/** Twilio streams are 8 kHz G.711: one byte, one sample, 8 samples per ms. */
const RATE = 8000;
const SAMPLES_PER_MS = RATE / 1000;
/**
 * A timestamp more than this far ahead of the stream's elapsed wall time is bogus (a
 * sender sends in real time, give or take its buffering): placing it would create hours
 * of silence and make every following frame "late". Such frames are dropped.
 */
const MAX_LEAD_MS = 10 * 60 * 1000;

/** Byte → sample tables of the G.711 laws, by `mediaFormat.encoding`. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const MULAW = mulawDecode(ALL_BYTES);
const ALAW = alawDecode(ALL_BYTES);
const TABLES = new Map<string, Int16Array>([
  ['audio/x-mulaw', MULAW],
  ['audio/pcmu', MULAW],
  ['audio/x-alaw', ALAW],
  ['audio/pcma', ALAW],
]);

/** Track names → call channel: inbound (the caller) is channel 1, outbound channel 2. */
const CHANNEL_OF_TRACK = new Map<string, 1 | 2>([
  ['inbound', 1],
  ['inbound_track', 1],
  ['outbound', 2],
  ['outbound_track', 2],
]);

/** The channel of the track name in `buf[start, end)`, compared as bytes (no string per frame). */
function channelOfTrackBytes(buf: Buffer, start: number, end: number): 1 | 2 | undefined {
  for (const [name, channel] of CHANNEL_OF_TRACK) {
    if (end - start !== name.length) continue;
    let i = 0;
    while (i < name.length && buf[start + i] === name.charCodeAt(i)) i++;
    if (i === name.length) return channel;
  }
  return undefined;
}

/** Events of the Twilio Media Streams protocol, for recognising a stream by its first frame. */
export const TWILIO_EVENTS = new Set(['connected', 'start', 'media', 'dtmf', 'mark', 'stop']);

/** Payloads read by JSON.parse are written here as base64 text, then decoded like raw frames. */
const scratch = Buffer.allocUnsafe(64 * 1024);
/** Reused by every session: scanning is synchronous. */
const scanned: ScannedMedia = { trackStart: 0, trackEnd: 0, timestampMs: 0, payloadStart: 0, payloadEnd: 0 };

/**
 * The Twilio Media Streams protocol (JSON text frames): `connected`, `start` (call
 * metadata, tracks, media format), `media` (one track's base64 µ-law at a timestamp in
 * ms since the stream started), `dtmf`, `mark` (ignored), `stop`. Audio is placed by
 * `media.timestamp`, not by arrival: each track goes through a reorder window, gaps (the
 * sender sends nothing during silence) become silence, and both tracks share the call's
 * timeline: inbound on channel 1, outbound on channel 2.
 */
export class TwilioStream extends StreamSession {
  protected readonly format = 'twilio';
  private table = MULAW;
  private reorder: [FrameReorder, FrameReorder] | null = null;
  /** Per track: where the next frame lands when it carries no timestamp, ms. */
  private readonly nextMs = [0, 0];
  private readonly lastArrivalMs = [0, 0];
  private startedWallMs = 0;
  private readonly counts = { frames: 0, malformed: 0, ignored: 0, implausible: 0 };

  constructor(ctx: StreamContext, socket: StreamSocket, accountId: string) {
    super(ctx, socket, accountId);
  }

  protected onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return this.ignore('binary', 'binary frame in a Twilio stream ignored');
    if (this.reorder !== null && scanMedia(data, scanned)) {
      const channel = channelOfTrackBytes(data, scanned.trackStart, scanned.trackEnd);
      if (channel === undefined) return this.ignore('track', 'media of an unknown track ignored');
      return this.place(channel, scanned.timestampMs, data, scanned.payloadStart, scanned.payloadEnd);
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      return this.malformed('json', 'stream frame is not JSON');
    }
    if (msg === null || typeof msg !== 'object') return this.malformed('json', 'stream frame is not a JSON object');
    const m = msg as Record<string, unknown>;
    switch (m.event) {
      case 'media':
        return this.onMedia(m.media);
      case 'start':
        return this.onStart(m);
      case 'dtmf':
        return this.onDtmf(m.dtmf);
      case 'stop':
        void this.finish('stop');
        return;
      case 'connected':
      case 'mark':
        return;
      default:
        return this.ignore('event', 'unknown stream event ignored', { event: String(m.event).slice(0, 40) });
    }
  }

  private onStart(m: Record<string, unknown>): void {
    if (this.state !== 'waiting') return this.ignore('start', 'repeated start event ignored');
    const s = (m.start && typeof m.start === 'object' ? m.start : {}) as Record<string, unknown>;
    const mf = (s.mediaFormat && typeof s.mediaFormat === 'object' ? s.mediaFormat : {}) as Record<string, unknown>;
    const encoding = (stringField(mf.encoding) ?? 'audio/x-mulaw').toLowerCase();
    const sampleRate = mf.sampleRate === undefined ? RATE : Number(mf.sampleRate);
    const channels = mf.channels === undefined ? 1 : Number(mf.channels);
    const table = TABLES.get(encoding);
    if (!table || sampleRate !== RATE || channels !== 1) {
      this.ctx.warn.warn('format', { encoding, sampleRate, channels }, 'stream refused: unsupported mediaFormat');
      void this.finish('unsupported media format', CLOSE.unsupportedData, `unsupported mediaFormat ${encoding}/${sampleRate}/${channels}`.slice(0, 120));
      return;
    }
    this.table = table;
    const streamSid = stringField(s.streamSid) ?? stringField(m.streamSid);
    const params: Record<string, string> = {};
    if (s.customParameters && typeof s.customParameters === 'object') {
      for (const [k, v] of Object.entries(s.customParameters as Record<string, unknown>).slice(0, 100)) {
        const value = stringField(v, 4096);
        if (value !== undefined) params[k.slice(0, 256)] = value;
      }
    }
    const tracks = Array.isArray(s.tracks) ? s.tracks.filter((t): t is string => typeof t === 'string').slice(0, 4) : undefined;
    const windowSamples = Math.round(this.ctx.reorderMs * SAMPLES_PER_MS);
    const pool = this.ctx.pool;
    const sink = (channel: 1 | 2) => (position: number, pcm: Int16Array) => this.handle?.media.push(channel, this.anchor + position, pcm);
    this.reorder = [new FrameReorder(windowSamples, sink(1), (p) => pool.give(p)), new FrameReorder(windowSamples, sink(2), (p) => pool.give(p))];
    this.startedWallMs = Date.now();
    this.beginCall(
      {
        accountId: this.accountId,
        callId: callIdField(s.callSid) ?? callIdField(streamSid) ?? newId(ID_PREFIX.call),
        ingest: 'stream',
        from: pickField(params, ['from', 'caller']) ?? null,
        to: pickField(params, ['to', 'called']) ?? null,
        direction: pickField(params, ['direction']) ?? null,
        details: { streamFormat: 'twilio', streamSid, tracks, mediaFormat: { encoding, sampleRate, channels }, customParameters: params },
      },
      RATE,
      false,
    );
  }

  /** A media message JSON.parse read (the scanner declined it). */
  private onMedia(media: unknown): void {
    if (!this.reorder || !this.handle) return this.ignore('early-media', 'media before start ignored');
    if (media === null || typeof media !== 'object') return this.malformed('media', 'media event without a media object');
    const m = media as Record<string, unknown>;
    const channel = m.track === undefined ? 1 : CHANNEL_OF_TRACK.get(String(m.track));
    if (channel === undefined) return this.ignore('track', 'media of an unknown track ignored', { track: String(m.track).slice(0, 40) });
    const payload = m.payload;
    if (typeof payload !== 'string' || payload.length === 0) return this.malformed('payload', 'media event without a payload');
    if (payload.length > scratch.length) return this.malformed('payload', 'media payload too large');
    if (/[^\x21-\x7e]/.test(payload)) return this.malformed('base64', 'media payload is not valid base64');
    const n = scratch.write(payload, 'latin1');
    this.place(channel, m.timestamp === undefined ? Number.NaN : Number(m.timestamp), scratch, 0, n, m.timestamp === undefined);
  }

  /** Decodes the base64 payload `bytes[start, end)` and hands the frame to its track's reorder window. */
  private place(channel: 1 | 2, timestampMs: number, bytes: Buffer, start: number, end: number, untimed = false): void {
    if (!this.reorder || !this.handle) return this.ignore('early-media', 'media before start ignored');
    const n = decodedLength(bytes, start, end);
    if (n <= 0) return this.malformed('base64', 'media payload is not valid base64');
    const t = untimed ? this.nextMs[channel - 1] : timestampMs;
    const now = this.lastActivityMs; // set by receive() for this frame
    if (!Number.isFinite(t) || t < 0 || t > now - this.startedWallMs + MAX_LEAD_MS) {
      this.counts.implausible++;
      this.ctx.totals.implausible++;
      this.ctx.warn.warn('timestamp', { format: this.format, callId: this.callId }, 'media frame with an implausible timestamp dropped');
      return;
    }
    const pcm = this.ctx.pool.take(n);
    if (!decodeBase64Samples(bytes, start, end, this.table, pcm)) {
      this.ctx.pool.give(pcm);
      return this.malformed('base64', 'media payload is not valid base64');
    }
    this.nextMs[channel - 1] = t + n / SAMPLES_PER_MS;
    this.lastArrivalMs[channel - 1] = now;
    this.counts.frames++;
    this.ctx.totals.frames++;
    const outcome = this.reorder[channel - 1].push(Math.round(t * SAMPLES_PER_MS), pcm);
    if (outcome === 'late') this.ctx.totals.late++;
    else if (outcome === 'duplicate') this.ctx.totals.duplicate++;
  }

  private onDtmf(dtmf: unknown): void {
    if (!this.handle) return this.ignore('early-dtmf', 'dtmf before start ignored');
    const d = (dtmf && typeof dtmf === 'object' ? dtmf : {}) as Record<string, unknown>;
    const digit = stringField(d.digit, 1);
    if (digit === undefined || !/^[0-9A-Da-d*#]$/.test(digit)) return this.malformed('dtmf', 'dtmf event without a valid digit');
    const channel = CHANNEL_OF_TRACK.get(String(d.track ?? 'inbound_track')) ?? 1;
    // Twilio's dtmf event carries no time: it lands where the track's audio has reached.
    const streamMs = this.nextMs[channel - 1] || Math.max(this.nextMs[0], this.nextMs[1]);
    const startMs = (this.anchor * 1000) / RATE + streamMs;
    this.handle.media.addDtmf({ digit: digit.toUpperCase(), channel, startMs, durationMs: 0 });
  }

  override tick(nowMs: number): void {
    if (!this.reorder) return;
    // A track that went quiet (silence is not sent) must not keep its last frames held.
    for (let i = 0; i < 2; i++) {
      if (this.reorder[i].heldCount > 0 && nowMs - this.lastArrivalMs[i] > this.ctx.reorderMs) this.reorder[i].drain();
    }
  }

  protected flush(): void {
    this.reorder?.[0].drain();
    this.reorder?.[1].drain();
  }

  protected override stats(): Record<string, unknown> {
    const r = this.reorder;
    return { ...this.counts, late: r ? r[0].counters.late + r[1].counters.late : 0, duplicate: r ? r[0].counters.duplicate + r[1].counters.duplicate : 0 };
  }

  private malformed(kind: string, message: string): void {
    this.counts.malformed++;
    this.ctx.totals.malformed++;
    this.ctx.warn.warn(`twilio-${kind}`, { format: this.format, callId: this.callId }, message);
  }

  private ignore(kind: string, message: string, fields: Record<string, unknown> = {}): void {
    this.counts.ignored++;
    this.ctx.totals.ignored++;
    this.ctx.warn.warn(`twilio-${kind}`, { format: this.format, callId: this.callId, ...fields }, message);
  }
}
