import { ID_PREFIX, newId } from '../../ids.js';
import { pcm16leToSamples } from '../../media/l16.js';
import { callIdField, pickField, stringField, StreamSession, CLOSE, type StreamContext, type StreamSocket } from './stream-session.js';

/** Sample rates an L16 stream may declare. */
const RATES = [8000, 16000] as const;
type MixType = 'mono' | 'mixed' | 'stereo';

/** "16000", 16000, "16k" → 16000; anything else → NaN. */
function parseRate(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const m = /^\s*(\d+)\s*(k?)(?:hz)?\s*$/i.exec(value);
  return m ? Number(m[1]) * (m[2] ? 1000 : 1) : Number.NaN;
}

/**
 * Binary little-endian 16-bit PCM, as FreeSWITCH mod_audio_fork and jambonz `listen`
 * send it: a first text frame with call metadata (JSON: the call id, from/to, and
 * `sampleRate` and `mixType`), then binary frames of audio. `stereo` interleaves two
 * channels (left = caller = channel 1, right = channel 2); `mono` and `mixed` are one
 * channel, recorded as a mono file. TCP keeps the order, so audio is placed by the count
 * of samples received; frames may split a sample or a stereo pair anywhere, and the
 * remainder carries over to the next frame. Later text frames are ignored, except a
 * jambonz-style `{"event":"dtmf","dtmf":"5"}`.
 *
 * Settings missing from the metadata come from the URL query (`sampleRate`, `mixType`,
 * `callId`; mod_audio_fork's metadata is whatever the dialplan passed), else 8000 / mono /
 * a generated id. A stream whose first frame is binary starts with those defaults.
 */
export class L16Stream extends StreamSession {
  protected readonly format = 'l16';
  private rate = 8000;
  private stereo = false;
  /** Bytes of an incomplete sample (or stereo pair) from the previous frame. */
  private carry: Buffer | null = null;
  /** Samples per channel received so far: the stream position of the next frame. */
  private samples = 0;
  private left = new Int16Array(0);
  private right = new Int16Array(0);
  private readonly counts = { frames: 0, bytes: 0, malformed: 0, ignored: 0 };

  constructor(
    ctx: StreamContext,
    socket: StreamSocket,
    accountId: string,
    private readonly query: URLSearchParams,
  ) {
    super(ctx, socket, accountId);
  }

  protected onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return this.onText(data);
    if (this.state === 'waiting') {
      // No metadata frame: start from the URL's settings, and keep this frame for when the call is open.
      this.start({});
      // start() may have refused the stream instead (bad URL settings).
      if ((this.state as string) === 'opening') this.enqueue(data, true);
      return;
    }
    if (this.handle) this.onAudio(data);
  }

  private onText(data: Buffer): void {
    let meta: unknown;
    try {
      meta = JSON.parse(data.toString('utf8'));
    } catch {
      meta = undefined;
    }
    const obj = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
    if (this.state === 'waiting') {
      if (!obj) this.note('malformed', 'metadata', 'L16 metadata frame is not a JSON object; using the URL settings');
      this.start(obj ?? {});
      return;
    }
    if (obj && obj.event === 'dtmf' && this.handle) {
      const digit = stringField(obj.dtmf ?? obj.digit, 1);
      if (digit !== undefined && /^[0-9A-Da-d*#]$/.test(digit)) {
        const duration = Number(obj.duration);
        this.handle.media.addDtmf({
          digit: digit.toUpperCase(),
          channel: 1,
          startMs: ((this.anchor + this.samples) * 1000) / this.rate,
          durationMs: Number.isFinite(duration) && duration > 0 ? duration : 0,
        });
        return;
      }
    }
    this.note('ignored', 'text', 'text frame in an L16 stream ignored');
  }

  private start(meta: Record<string, unknown>): void {
    const q = this.query;
    const rawRate = meta.sampleRate ?? meta.sample_rate ?? meta.samplingRate ?? q.get('sampleRate') ?? q.get('sample_rate') ?? 8000;
    const rate = parseRate(rawRate);
    const mix = String(meta.mixType ?? meta.mix_type ?? q.get('mixType') ?? q.get('mix_type') ?? 'mono').toLowerCase();
    if (!(RATES as readonly number[]).includes(rate) || !['mono', 'mixed', 'stereo'].includes(mix)) {
      this.ctx.warn.warn('format', { format: this.format, sampleRate: String(rawRate).slice(0, 20), mixType: mix.slice(0, 20) }, 'stream refused: unsupported sampleRate or mixType');
      void this.finish('unsupported media format', CLOSE.unsupportedData, `unsupported sampleRate ${String(rawRate).slice(0, 20)} or mixType ${mix.slice(0, 20)}`);
      return;
    }
    this.rate = rate;
    this.stereo = mix === 'stereo';
    const callId =
      callIdField(meta.callSid) ?? callIdField(meta.call_sid) ?? callIdField(meta.callId) ?? callIdField(meta.call_id) ?? callIdField(meta.uuid) ?? callIdField(q.get('callId')) ?? newId(ID_PREFIX.call);
    // The metadata is kept as given (bounded by the frame limit) for whoever reads the call.
    this.beginCall(
      {
        accountId: this.accountId,
        callId,
        ingest: 'stream',
        from: pickField(meta, ['from', 'caller']) ?? stringField(q.get('from')) ?? null,
        to: pickField(meta, ['to', 'called']) ?? stringField(q.get('to')) ?? null,
        direction: pickField(meta, ['direction']) ?? null,
        details: { streamFormat: 'l16', sampleRate: rate, mixType: mix as MixType, metadata: meta },
      },
      rate,
      !this.stereo,
    );
  }

  private onAudio(frame: Buffer): void {
    let bytes = frame;
    if (this.carry) {
      bytes = Buffer.concat([this.carry, frame]);
      this.carry = null;
    }
    const frameBytes = this.stereo ? 4 : 2;
    const usable = bytes.length - (bytes.length % frameBytes);
    if (usable < bytes.length) this.carry = Buffer.from(bytes.subarray(usable));
    if (usable === 0) return;
    this.counts.frames++;
    this.counts.bytes += frame.length;
    this.ctx.totals.frames++;
    const media = this.handle!.media;
    const position = this.anchor + this.samples;
    // The recorder copies synchronously, so views and reused arrays are safe to hand over.
    const pcm = pcm16leToSamples(bytes.subarray(0, usable));
    if (!this.stereo) {
      media.push(1, position, pcm);
      this.samples += pcm.length;
      return;
    }
    const n = pcm.length >> 1;
    if (this.left.length < n) {
      this.left = new Int16Array(n);
      this.right = new Int16Array(n);
    }
    const left = n === this.left.length ? this.left : this.left.subarray(0, n);
    const right = n === this.right.length ? this.right : this.right.subarray(0, n);
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      left[i] = pcm[j];
      right[i] = pcm[j + 1];
    }
    media.push(1, position, left);
    media.push(2, position, right);
    this.samples += n;
  }

  protected flush(): void {
    // A trailing odd byte (or half a stereo pair) is not a sample: dropped.
    this.carry = null;
  }

  protected override stats(): Record<string, unknown> {
    return { ...this.counts, sampleRate: this.rate, stereo: this.stereo, seconds: Math.round(this.samples / this.rate) };
  }

  private note(kind: 'malformed' | 'ignored', what: string, message: string): void {
    this.counts[kind]++;
    this.ctx.totals[kind]++;
    this.ctx.warn.warn(`l16-${what}`, { format: this.format, callId: this.callId }, message);
  }
}
