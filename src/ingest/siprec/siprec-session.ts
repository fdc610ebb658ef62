import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../logger.js';
import type { LiveCallHandle } from '../../calls/live-calls.service.js';
import type { LiveCall } from '../../recorder/live-call.js';
import type { ChannelMapEntry } from '../../recordings/recording.js';
import type { PortAllocator } from '../rtp/port-allocator.js';
import { RtpReceiver } from '../rtp/rtp-receiver.js';
import { processReceiveLag } from '../rtp/receive-lag.js';
import { RtpAudioStream } from '../rtp/rtp-audio-stream.js';
import { assignChannels, mergePartial, updateForReoffer, type NegotiatedStream, type OfferAnswerResult, type RecordingMetadata } from '../sip/index.js';

/** Receive lag of this process, shared by every stream (one timer). */
const receiveLagMs = (): number => processReceiveLag().lagMs();

/** One bound RTP port of a session and what listens on it. */
interface MediaLeg {
  port: number;
  socket: dgram.Socket;
  receiver: RtpReceiver;
  stream: RtpAudioStream | null;
  channel: 1 | 2;
  onHold: boolean;
}

/** Binds a UDP socket on an exact port (the one the SDP answer names). */
function bindPort(port: number, host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Call sample rate: wideband when any stream carries 16 kHz audio, else narrowband. */
export function callRateOf(streams: NegotiatedStream[]): number {
  return streams.some((s) => !s.rejected && s.codec && s.codec.sampleRate >= 16000) ? 16000 : 8000;
}

/** Channel map for the Recording: which party each channel carries. */
export function channelMapOf(metadata: RecordingMetadata | undefined, streams: NegotiatedStream[]): { streamChannels: Record<number, 1 | 2>; channelMap: ChannelMapEntry[] } {
  const assignment = assignChannels(metadata, streams.map((s) => ({ index: s.index, label: s.label, rejected: s.rejected })));
  return {
    streamChannels: assignment.streamChannels,
    channelMap: assignment.channelMap.map((c) => ({
      channel: c.channel,
      participant: { aor: c.participant.aor, name: c.participant.name, role: c.channel === 1 ? 'caller' : 'callee' },
    })),
  };
}

export interface SessionMediaOptions {
  ports: PortAllocator;
  rtpHost: string;
  log: Logger;
}

/**
 * The media of one SIPREC recording session: a bound RTP port per accepted m= line,
 * each decoded onto its party's channel of the LiveCall. Offers and answers come from
 * the SIP side; this class owns sockets and streams and releases every port it took.
 */
export class SiprecSession {
  private readonly legs = new Map<number, MediaLeg>();
  private ended = false;
  readonly startedAtMs: number;
  private readonly liveCall: LiveCall;

  constructor(
    readonly key: string,
    readonly handle: LiveCallHandle,
    public offer: OfferAnswerResult,
    public metadata: RecordingMetadata | undefined,
    private readonly opts: SessionMediaOptions,
  ) {
    this.liveCall = handle.media;
    this.startedAtMs = handle.media.startedAtMs;
  }

  /** Opens the RTP ports of the initial answer; on failure every port is released. */
  async openMedia(streamChannels: Record<number, 1 | 2>): Promise<void> {
    try {
      for (const stream of this.offer.streams) await this.openLeg(stream, streamChannels[stream.index] ?? 2);
    } catch (err) {
      this.closeMedia();
      throw err;
    }
  }

  /** Applies a re-INVITE offer (hold, resume, codec change, streams added or removed); returns the answer SDP. */
  async reoffer(sdp: string, metadata: RecordingMetadata | undefined): Promise<string> {
    if (metadata) this.metadata = metadata.dataMode === 'partial' && this.metadata ? mergePartial(this.metadata, metadata) : metadata;
    const next = updateForReoffer(this.offer, sdp, { allocatePort: () => this.opts.ports.allocate() });
    const { streamChannels } = channelMapOf(this.metadata, next.streams);
    const keptPorts = new Set<number>();
    for (const stream of next.streams) {
      if (stream.rejected || stream.localPort === 0) continue;
      keptPorts.add(stream.localPort);
      const leg = this.legs.get(stream.localPort);
      if (!leg) {
        await this.openLeg(stream, streamChannels[stream.index] ?? 2);
        continue;
      }
      leg.onHold = stream.onHold;
      if (stream.codec && leg.stream) leg.stream.setCodec(stream.codec, stream.telephoneEventPayloadType);
      else if (stream.codec) leg.stream = this.newStream(stream, leg.channel);
    }
    for (const [port, leg] of this.legs) if (!keptPorts.has(port)) this.closeLeg(leg);
    for (const port of next.releasedPorts) if (!this.legs.has(port)) this.opts.ports.release(port);
    this.offer = next;
    return next.answerSdp;
  }

  /** Wall-clock ms of the last RTP packet on any stream (the start when none came). */
  lastActivityMs(): number {
    let last = this.startedAtMs;
    for (const leg of this.legs.values()) if (leg.stream && leg.stream.lastPacketMs > last) last = leg.stream.lastPacketMs;
    return last;
  }

  /** True when every stream is held (the SRC may send nothing for a long time). */
  allOnHold(): boolean {
    return this.legs.size > 0 && [...this.legs.values()].every((l) => l.onHold);
  }

  /** Flushes the jitter buffers into the call and closes every port; idempotent. */
  closeMedia(): void {
    if (this.ended) return;
    this.ended = true;
    for (const leg of this.legs.values()) this.closeLeg(leg);
  }

  private async openLeg(stream: NegotiatedStream, channel: 1 | 2): Promise<void> {
    if (stream.rejected || stream.localPort === 0) return;
    let socket: dgram.Socket;
    try {
      socket = await bindPort(stream.localPort, this.opts.rtpHost);
    } catch (err) {
      this.opts.ports.release(stream.localPort);
      throw err;
    }
    const leg: MediaLeg = { port: stream.localPort, socket, channel, onHold: stream.onHold, stream: null, receiver: undefined as unknown as RtpReceiver };
    leg.stream = stream.codec ? this.newStream(stream, channel) : null;
    leg.receiver = new RtpReceiver(socket, {
      onPacket: (pkt, arrivalMs) => leg.stream?.push(pkt, arrivalMs),
      logger: this.opts.log,
      logContext: { callId: this.handle.call.callId, port: stream.localPort },
      // An SBC may move its media source (fail-over, a new port after a re-INVITE): after two
      // quiet seconds the port follows the new sender instead of dropping its audio for good.
      relatchAfterMs: 2000,
    });
    this.legs.set(stream.localPort, leg);
  }

  private newStream(stream: NegotiatedStream, channel: 1 | 2): RtpAudioStream {
    return new RtpAudioStream({
      callStartMs: this.liveCall.startedAtMs,
      callRate: this.liveCall.sampleRate,
      codec: stream.codec!,
      telephoneEventPayloadType: stream.telephoneEventPayloadType,
      receiveLagMs: receiveLagMs,
      onAudio: (position, pcm) => this.liveCall.push(channel, position, pcm),
      onDtmf: (digit, startMs, durationMs) => this.liveCall.addDtmf({ digit, channel, startMs, durationMs }),
    });
  }

  private closeLeg(leg: MediaLeg): void {
    this.legs.delete(leg.port);
    leg.receiver.stop();
    leg.stream?.drain();
    // One line per stream, as rtpengine logs at teardown: what arrived and what the jitter
    // buffer made of it (late, reordered, duplicates, SSRC changes, timestamp jumps re-anchored).
    this.opts.log.info(
      { callId: this.handle.call.callId, port: leg.port, channel: leg.channel, receiver: leg.receiver.stats(), ...(leg.stream ? { jitter: leg.stream.stats() } : {}) },
      'rtp stream ended',
    );
    try {
      leg.socket.close();
    } catch {
      // already closed
    }
    this.opts.ports.release(leg.port);
  }
}
