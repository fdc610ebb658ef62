import dgram from 'node:dgram';
import { buildRtp } from '../../src/ingest/rtp/rtp-packet.js';
import type { PlannedPacket } from './rtp-sender.js';

/** What one slot of a stream sends: planned RTP packets, or raw datagrams (malformed-input tests). */
export type Datagram = PlannedPacket | Buffer;

/**
 * An SRC's media source: one UDP socket kept for the whole call, as an SBC keeps its media
 * port across re-INVITEs (the recorder latches on the first source of each stream and
 * drops other sources afterwards, so a new socket per burst would be a different sender).
 */
export class RtpSource {
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

  /** Sends one datagram now. */
  send(datagram: Datagram, port: number, host = '127.0.0.1'): void {
    this.socket.send(Buffer.isBuffer(datagram) ? datagram : buildRtp(datagram), port, host);
  }

  /** Sends several streams' slots at real-time pace (one slot per `intervalMs`), like sendPaced in rtp-sender.ts. */
  async sendPaced(streams: Array<{ port: number; slots: Datagram[][] }>, intervalMs = 20, host = '127.0.0.1'): Promise<void> {
    const slots = Math.max(...streams.map((s) => s.slots.length));
    const start = performance.now();
    for (let i = 0; i < slots; i++) {
      for (const s of streams) for (const d of s.slots[i] ?? []) this.send(d, s.port, host);
      const wait = start + (i + 1) * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}
