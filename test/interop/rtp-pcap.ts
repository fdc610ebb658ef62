/**
 * Builds the RTP captures sipp plays (`play_pcap_audio`), at test run time, so no binary
 * blob is committed. A capture is a classic libpcap file (Ethernet link type) of
 * IPv4/UDP/RTP packets. sipp keeps only each packet's UDP header and payload and the
 * gap between capture timestamps: it rewrites the addresses, and sends each packet to
 * the answered media port plus (the packet's UDP destination port − the lowest
 * destination port in the capture). So one capture may hold several streams on
 * different destination ports, all shifted together onto the answered port.
 */
import { buildRtp } from '../../src/ingest/rtp/rtp-packet.js';
import { mulawEncode } from '../../src/media/g711.js';

/** One RTP stream to put in a capture. */
export interface PcapStream {
  /** UDP destination port inside the capture (only differences between streams matter to sipp). */
  dstPort: number;
  /** UDP source port inside the capture (sipp replaces it). */
  srcPort?: number;
  ssrc: number;
  payloadType: number;
  /** Encoded payload (µ-law here: one byte per 8 kHz sample), cut into packets. */
  payload: Uint8Array;
  /** Payload bytes per packet and RTP timestamp ticks per packet (160 = 20 ms of 8 kHz G.711). */
  bytesPerPacket?: number;
  /** Milliseconds between packets (20). */
  packetMs?: number;
  firstSeq?: number;
  firstTs?: number;
}

const ETH_BYTES = 14;
const IP_BYTES = 20;
const UDP_BYTES = 8;

/** RFC 1071 ones' complement sum over 16-bit words, folded and inverted. */
function ipChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One Ethernet/IPv4/UDP frame around `payload` (loopback addresses; sipp rewrites them). */
function udpFrame(srcPort: number, dstPort: number, payload: Buffer, ipId: number): Buffer {
  const frame = Buffer.alloc(ETH_BYTES + IP_BYTES + UDP_BYTES + payload.length);
  // Ethernet: zero MACs, EtherType IPv4.
  frame.writeUInt16BE(0x0800, 12);
  const ip = frame.subarray(ETH_BYTES, ETH_BYTES + IP_BYTES);
  ip[0] = 0x45; // IPv4, 5 words of header
  ip.writeUInt16BE(IP_BYTES + UDP_BYTES + payload.length, 2);
  ip.writeUInt16BE(ipId & 0xffff, 4);
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  ip.writeUInt32BE(0x7f000001, 12);
  ip.writeUInt32BE(0x7f000001, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const udp = frame.subarray(ETH_BYTES + IP_BYTES);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(UDP_BYTES + payload.length, 4);
  // UDP checksum 0 = none (IPv4); sipp recomputes it for the addresses it sends with.
  payload.copy(udp, UDP_BYTES);
  return frame;
}

/**
 * A libpcap file of the given RTP streams, interleaved in time: packet k of every stream
 * is stamped k × packetMs after the start, so sipp sends the streams side by side at
 * real-time pace.
 */
export function rtpPcap(streams: PcapStream[]): Buffer {
  type Rec = { us: number; frame: Buffer };
  const recs: Rec[] = [];
  let ipId = 1;
  for (const s of streams) {
    const per = s.bytesPerPacket ?? 160;
    const packetUs = (s.packetMs ?? 20) * 1000;
    const count = Math.ceil(s.payload.length / per);
    for (let k = 0; k < count; k++) {
      const rtp = buildRtp({
        payloadType: s.payloadType,
        marker: k === 0,
        sequence: ((s.firstSeq ?? 1) + k) & 0xffff,
        timestamp: ((s.firstTs ?? 0) + k * per) >>> 0,
        ssrc: s.ssrc,
        payload: s.payload.subarray(k * per, (k + 1) * per),
      });
      recs.push({ us: k * packetUs, frame: udpFrame(s.srcPort ?? s.dstPort, s.dstPort, rtp, ipId++) });
    }
  }
  // Stable sort keeps stream order within one instant.
  recs.sort((a, b) => a.us - b.us);

  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps, little-endian
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeInt32LE(0, 8); // thiszone
  header.writeUInt32LE(0, 12); // sigfigs
  header.writeUInt32LE(65535, 16); // snaplen
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts: Buffer[] = [header];
  const start = 1_700_000_000; // arbitrary epoch second; only gaps matter
  for (const r of recs) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(start + Math.floor(r.us / 1e6), 0);
    h.writeUInt32LE(r.us % 1e6, 4);
    h.writeUInt32LE(r.frame.length, 8);
    h.writeUInt32LE(r.frame.length, 12);
    parts.push(h, r.frame);
  }
  return Buffer.concat(parts);
}

/** A µ-law encoded sine tone: `seconds` of `freqHz` at 8 kHz. */
export function mulawTone(freqHz: number, seconds: number, amplitude = 8000): Uint8Array {
  const n = Math.round(seconds * 8000);
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / 8000));
  return mulawEncode(pcm);
}
