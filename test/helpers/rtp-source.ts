import dgram from 'node:dgram';
import { buildRtp } from '../../src/ingest/rtp/rtp-packet.js';
import type { PlannedPacket } from './rtp-sender.js';

/** What one slot of a stream sends: planned RTP packets, or raw datagrams (malformed-input tests). */
export type Datagram = PlannedPacket | Buffer;

/**
 * An SRC's media source: one UDP socket kept for the whole call, as an SBC keeps its media
 * port across re-INVITEs (the recorder latches on the first source of each stream and
 * drops other sources afterwards, so a new socket per burst would be a different sender).
 *
 * Every send is tracked until it has left: dgram.send resolves the address on a later
 * tick, so a socket closed right after a burst (a paced loop that fell behind under load
 * sends its last slots back to back) would silently drop the last packets.
 */
export class RtpSource {
  private inFlight = 0;
  private idle: Array<() => void> = [];

  private constructor(private readonly socket: dgram.Socket) {}

  /** Binds a socket on an ephemeral loopback port. */
  static async open(host = '127.0.0.1'): Promise<RtpSource> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, host, () => r()));
    return new RtpSource(socket);
  }

  /** The local port datagrams come from. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Sends one datagram (it leaves shortly: see `sent`). */
  send(datagram: Datagram, port: number, host = '127.0.0.1'): void {
    this.inFlight++;
    this.socket.send(Buffer.isBuffer(datagram) ? datagram : buildRtp(datagram), port, host, () => {
      if (--this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  /** Resolves once every datagram sent so far has been handed to the kernel. */
  sent(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  /**
   * Sends several streams' slots at real-time pace (one slot per `intervalMs`), like sendPaced
   * in rtp-sender.ts, and resolves when the last datagram has left (so a BYE sent next follows the media).
   */
  async sendPaced(streams: Array<{ port: number; slots: Datagram[][] }>, intervalMs = 20, host = '127.0.0.1'): Promise<void> {
    const slots = Math.max(...streams.map((s) => s.slots.length));
    const start = performance.now();
    for (let i = 0; i < slots; i++) {
      for (const s of streams) for (const d of s.slots[i] ?? []) this.send(d, s.port, host);
      const wait = start + (i + 1) * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await this.sent();
  }

  /** Closes the socket after the datagrams still leaving. */
  async close(): Promise<void> {
    await this.sent();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}

/** One burst from a fresh source: opens it, sends the slots at real-time pace, closes it once all has left. */
export async function sendMedia(streams: Array<{ port: number; slots: Datagram[][] }>, intervalMs = 20): Promise<void> {
  const source = await RtpSource.open();
  try {
    await source.sendPaced(streams, intervalMs);
  } finally {
    await source.close();
  }
}
