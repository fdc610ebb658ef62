import dgram from 'node:dgram';
import { buildRtp } from '../../src/ingest/rtp/rtp-packet.js';

/** One packet to send: its RTP fields and payload. */
export interface PlannedPacket {
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  payload: Uint8Array;
  marker?: boolean;
}

/** Splits an encoded signal into 20 ms packets (`bytesPerPacket` bytes, `ticksPerPacket` RTP ticks). */
export function packetize(encoded: Uint8Array, opts: { payloadType: number; ssrc: number; bytesPerPacket: number; ticksPerPacket: number; firstSeq?: number; firstTs?: number }): PlannedPacket[] {
  const out: PlannedPacket[] = [];
  for (let i = 0, k = 0; i + opts.bytesPerPacket <= encoded.length; i += opts.bytesPerPacket, k++) {
    out.push({
      sequence: ((opts.firstSeq ?? 1000) + k) & 0xffff,
      timestamp: ((opts.firstTs ?? 160000) + k * opts.ticksPerPacket) >>> 0,
      ssrc: opts.ssrc,
      payloadType: opts.payloadType,
      payload: encoded.subarray(i, i + opts.bytesPerPacket),
      marker: k === 0,
    });
  }
  return out;
}

/**
 * Sends several streams' packets at real-time pace (one slot per `intervalMs`), each slot
 * holding what every stream sends then: impairments are applied by editing the lists
 * (drop, swap, duplicate) before sending.
 */
export async function sendPaced(streams: Array<{ port: number; slots: PlannedPacket[][] }>, intervalMs = 20, host = '127.0.0.1'): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const slots = Math.max(...streams.map((s) => s.slots.length));
  const start = performance.now();
  const sent: Promise<void>[] = [];
  for (let i = 0; i < slots; i++) {
    for (const s of streams) {
      for (const p of s.slots[i] ?? []) sent.push(new Promise<void>((resolve) => socket.send(buildRtp(p), s.port, host, () => resolve())));
    }
    const wait = start + (i + 1) * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  // Sends complete on a later tick: closing before them would drop the last packets.
  await Promise.all(sent);
  await new Promise<void>((r) => socket.close(() => r()));
}

/** One packet per slot, in order. */
export function inSlots(packets: PlannedPacket[]): PlannedPacket[][] {
  return packets.map((p) => [p]);
}
