import { StreamResampler } from '../../media/resample.js';
import { JitterBuffer, type JitterBufferStats, type TimelineItem } from './jitter-buffer.js';
import { staticTicksOf } from './payload-ticks.js';
import { TelephoneEventTracker, type DtmfEvent } from './telephone-event.js';
import type { RtpPacket } from './rtp-packet.js';
import { createPayloadDecoder, type AudioCodec, type PayloadDecoder } from './payload-decoder.js';

/** Where decoded audio goes: `position` is in samples at the call's rate since the call started. */
export type AudioSink = (position: number, pcm: Int16Array) => void;

export interface RtpAudioStreamOptions {
  callStartMs: number;
  /** Sample rate of the call's recordings (8000 or 16000). */
  callRate: number;
  codec: AudioCodec;
  telephoneEventPayloadType?: number;
  onAudio: AudioSink;
  /** A DTMF digit, with its start in ms since the call started and its length in ms. */
  onDtmf?: (digit: string, startMs: number, durationMs: number) => void;
  /** Reorder window, ms. */
  windowMs?: number;
  /** How long a packet processed now may have waited unread (see receive-lag.ts); default 0. */
  receiveLagMs?: () => number;
}

/**
 * One received RTP stream turned into positioned PCM: jitter buffer (order, loss,
 * duplicates, SSRC changes) → decoder → resampler to the call's rate. Gaps are left as
 * gaps; the recorder fills them with silence.
 */
export class RtpAudioStream {
  private jitter!: JitterBuffer;
  private codec!: AudioCodec;
  private decoder!: PayloadDecoder;
  private resampler: StreamResampler | null = null;
  /** Where the next resampled sample lands (call samples); -1 when no segment is open. */
  private outPosition = -1;
  /** End of the last packet in the codec's ticks, to notice discontinuities. */
  private expectedTs = -1;
  private dtmf: TelephoneEventTracker | null = null;
  lastPacketMs: number;

  constructor(private readonly opts: RtpAudioStreamOptions) {
    this.lastPacketMs = Date.now();
    this.setCodec(opts.codec, opts.telephoneEventPayloadType);
  }

  /** Switches codec (re-INVITE); a different RTP clock needs a new jitter buffer. */
  setCodec(codec: AudioCodec, telephoneEventPayloadType?: number): void {
    const sameClock = this.codec?.clockRate === codec.clockRate;
    // Audio still held for reordering was sent in the old codec: release it through the old
    // decoder now, or onAudio would drop it as a foreign payload type once the codec changed.
    const sameCodec = sameClock && this.codec.payloadType === codec.payloadType && this.codec.name === codec.name;
    if (this.jitter && !sameCodec) this.jitter.drain();
    this.endSegment();
    this.codec = codec;
    this.decoder = createPayloadDecoder(codec);
    this.resampler = codec.sampleRate === this.opts.callRate ? null : new StreamResampler(codec.sampleRate, this.opts.callRate, 1);
    if (!this.jitter || !sameClock) {
      const l16Bytes = 2 * codec.channels;
      this.jitter = new JitterBuffer({
        clockRate: codec.clockRate,
        callStartMs: this.opts.callStartMs,
        windowMs: this.opts.windowMs,
        receiveLagMs: this.opts.receiveLagMs,
        ticksOf: (pt, len) => (codec.name === 'L16' && pt === codec.payloadType ? Math.floor(len / l16Bytes) : staticTicksOf(pt, len)),
        eventPayloadTypes: telephoneEventPayloadType === undefined ? [] : [telephoneEventPayloadType],
        onAudio: (item) => this.onAudio(item),
        onEvent: (item) => this.dtmf?.push(item.payload, item.callTs),
      });
    }
    const clock = codec.clockRate;
    this.dtmf = telephoneEventPayloadType === undefined ? null : new TelephoneEventTracker((ev: DtmfEvent) => this.opts.onDtmf?.(ev.digit, (ev.startTs * 1000) / clock, (ev.durationTicks * 1000) / clock));
  }

  /** Feeds one packet as it arrives. */
  push(pkt: RtpPacket, arrivalMs: number): void {
    this.lastPacketMs = arrivalMs;
    this.jitter.push(pkt, arrivalMs);
  }

  /** Packet counters of the jitter buffer (since the last change of RTP clock rate). */
  stats(): JitterBufferStats {
    return this.jitter.stats();
  }

  /** Releases everything held (end of call). */
  drain(): void {
    this.jitter.drain();
    this.dtmf?.flush();
    this.endSegment();
  }

  private onAudio(item: TimelineItem): void {
    if (item.payloadType !== this.codec.payloadType) return; // comfort noise, or a codec we did not answer
    const pcm = this.decoder(item.payload);
    if (pcm.length === 0) return;
    const position = Math.round((item.callTs * this.opts.callRate) / this.codec.clockRate);
    if (!this.resampler) {
      this.opts.onAudio(position, pcm);
      return;
    }
    // The resampler keeps history across packets; a gap starts a fresh segment at its own position.
    if (item.callTs !== this.expectedTs) {
      this.endSegment();
      this.outPosition = position;
    }
    this.expectedTs = item.callTs + item.ticks;
    const out = this.resampler.process(pcm);
    if (out.length) {
      this.opts.onAudio(this.outPosition, out);
      this.outPosition += out.length;
    }
  }

  private endSegment(): void {
    if (this.resampler && this.outPosition >= 0) {
      const tail = this.resampler.flush();
      if (tail.length) this.opts.onAudio(this.outPosition, tail);
      this.resampler.reset();
    }
    this.outPosition = -1;
    this.expectedTs = -1;
  }
}
