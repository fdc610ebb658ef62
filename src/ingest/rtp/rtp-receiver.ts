// Receives one media stream on a bound UDP socket and hands parsed RTP packets on.
//
// Source latching (symmetric RTP, RFC 4961 style): the SDP address of an SBC is often
// not where its media comes from (NAT, media-relay pools), so the receiver accepts
// the source of the first valid RTP packet and drops datagrams from any other
// address:port afterwards. This keeps a stray or spoofed sender from being mixed
// into the recording once the stream has started; it cannot stop a sender that
// races the real one to the first packet. When the latched source has been silent
// for `relatchAfterMs` (SBC fail-over), the next valid source takes over.

import type dgram from 'node:dgram';
import { isRtcp, parseRtp, type RtpPacket } from './rtp-packet.js';

/** The pino-compatible subset of a logger the receiver needs. */
export interface RtpLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Options of one RtpReceiver. */
export interface RtpReceiverOptions {
  /** Receives each accepted packet with its wall-clock arrival in ms. */
  onPacket: (pkt: RtpPacket, arrivalMs: number) => void;
  logger?: RtpLogger;
  /** Wall clock in ms, the same clock as the call's callStartMs; default Date.now. */
  now?: () => number;
  /**
   * Socket receive buffer in bytes; default 256 KiB: a few hundred datagrams (the kernel
   * charges ~1 KiB each), so a stalled event loop loses nothing for seconds. Linux caps
   * it at net.core.rmem_max without error.
   */
  recvBufferBytes?: number;
  /** At most one drop warning per this many ms; default 10 000. */
  logIntervalMs?: number;
  /** Re-latch to a new source after the latched one is silent this long (ms); default never. */
  relatchAfterMs?: number;
  /** Extra fields for log lines (call id, stream label). */
  logContext?: Record<string, unknown>;
}

/** Datagram counters of one RtpReceiver. */
export interface RtpReceiverStats {
  datagrams: number;
  delivered: number;
  rtcp: number;
  malformed: number;
  foreignSource: number;
  relatches: number;
}

const DEFAULT_RECV_BUFFER_BYTES = 256 * 1024;

/** Parses, filters and forwards the RTP datagrams arriving on one socket. */
export class RtpReceiver {
  private readonly socket: dgram.Socket;
  private readonly onPacket: (pkt: RtpPacket, arrivalMs: number) => void;
  private readonly logger: RtpLogger | undefined;
  private readonly now: () => number;
  private readonly recvBufferBytes: number;
  private readonly logIntervalMs: number;
  private readonly relatchAfterMs: number;
  private readonly logContext: Record<string, unknown>;

  private latchedAddress: string | null = null;
  private latchedPort = 0;
  /** Arrival (ms) of the last packet from the latched source. */
  private latchedLastMs = 0;

  private datagrams = 0;
  private delivered = 0;
  private rtcp = 0;
  private malformed = 0;
  private foreignSource = 0;
  private relatches = 0;
  /** Drop counts already reported, so each warning gives the drops since the last one. */
  private loggedMalformed = 0;
  private loggedForeign = 0;
  private lastLogMs = -Infinity;
  private lastDropFrom = '';

  constructor(socket: dgram.Socket, opts: RtpReceiverOptions) {
    this.socket = socket;
    this.onPacket = opts.onPacket;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.recvBufferBytes = opts.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES;
    this.logIntervalMs = opts.logIntervalMs ?? 10_000;
    this.relatchAfterMs = opts.relatchAfterMs ?? Infinity;
    this.logContext = opts.logContext ?? {};
    socket.on('message', this.onMessage);
    socket.on('error', this.onError);
    // The buffer size can only be set on a bound socket.
    if (isBound(socket)) this.setRecvBuffer();
    else socket.once('listening', this.setRecvBuffer);
  }

  /** The latched source, or null before the first valid packet. */
  get source(): { address: string; port: number } | null {
    return this.latchedAddress === null ? null : { address: this.latchedAddress, port: this.latchedPort };
  }

  /** Snapshot of the counters. */
  stats(): RtpReceiverStats {
    return {
      datagrams: this.datagrams,
      delivered: this.delivered,
      rtcp: this.rtcp,
      malformed: this.malformed,
      foreignSource: this.foreignSource,
      relatches: this.relatches,
    };
  }

  /** Detach from the socket (which its owner closes) and report drops not yet logged. */
  stop(): void {
    this.socket.off('message', this.onMessage);
    this.socket.off('error', this.onError);
    this.socket.off('listening', this.setRecvBuffer);
    this.logDrops(this.now(), true);
  }

  // Bound once per receiver: no closure per packet.
  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const arrivalMs = this.now();
    this.datagrams++;
    if (isRtcp(msg)) {
      this.rtcp++;
      return;
    }
    const pkt = parseRtp(msg);
    if (pkt === null) {
      this.malformed++;
      this.lastDropFrom = rinfo.address;
      this.logDrops(arrivalMs, false);
      return;
    }
    if (this.latchedAddress === null) {
      this.latch(rinfo, arrivalMs);
    } else if (rinfo.port !== this.latchedPort || rinfo.address !== this.latchedAddress) {
      if (arrivalMs - this.latchedLastMs < this.relatchAfterMs) {
        this.foreignSource++;
        this.lastDropFrom = rinfo.address;
        this.logDrops(arrivalMs, false);
        return;
      }
      this.relatches++;
      this.latch(rinfo, arrivalMs);
    } else {
      this.latchedLastMs = arrivalMs;
    }
    this.delivered++;
    this.onPacket(pkt, arrivalMs);
  };

  private readonly onError = (err: Error): void => {
    this.logger?.warn({ ...this.logContext, err }, 'RTP socket error');
  };

  private readonly setRecvBuffer = (): void => {
    try {
      this.socket.setRecvBufferSize(this.recvBufferBytes);
    } catch (err) {
      // Not fatal: the kernel default still works, with less headroom for bursts.
      this.logger?.warn({ ...this.logContext, err, bytes: this.recvBufferBytes }, 'cannot set RTP receive buffer size');
    }
  };

  private latch(rinfo: dgram.RemoteInfo, arrivalMs: number): void {
    this.latchedAddress = rinfo.address;
    this.latchedPort = rinfo.port;
    this.latchedLastMs = arrivalMs;
  }

  /** Warn about drops since the last warning, at most once per logIntervalMs unless forced. */
  private logDrops(nowMs: number, force: boolean): void {
    if (!force && nowMs - this.lastLogMs < this.logIntervalMs) return;
    const malformed = this.malformed - this.loggedMalformed;
    const foreignSource = this.foreignSource - this.loggedForeign;
    if (malformed === 0 && foreignSource === 0) return;
    this.lastLogMs = nowMs;
    this.loggedMalformed = this.malformed;
    this.loggedForeign = this.foreignSource;
    this.logger?.warn(
      { ...this.logContext, malformed, foreignSource, lastFrom: this.lastDropFrom, source: this.source },
      'dropped RTP datagrams',
    );
  }
}

function isBound(socket: dgram.Socket): boolean {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
}
