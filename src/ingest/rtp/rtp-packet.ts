// RTP (RFC 3550 §5.1) parsing and building. Runs once per received datagram, so
// parseRtp reads fields in place, allocates one result object plus one Buffer view
// for the payload, and never throws on hostile input.

/** One parsed RTP packet. `payload` is a view into the datagram (no copy). */
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  /** 16-bit sequence number as sent (0..65535). */
  sequence: number;
  /** 32-bit RTP timestamp as sent, in RTP clock ticks (0..2^32-1). */
  timestamp: number;
  /** 32-bit synchronisation source, unsigned. */
  ssrc: number;
  /** Codec payload without header, CSRCs, extension or padding. */
  payload: Buffer;
}

/** Fields for buildRtp; optional parts exist to exercise the parser. */
export interface RtpBuildOptions {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload?: Uint8Array;
  csrcs?: readonly number[];
  /** Header extension; `data` length must be a multiple of 4 bytes. */
  extension?: { profile: number; data: Uint8Array };
  /** Number of padding bytes to append (1..255), last byte holds the count. */
  padding?: number;
}

/** Fixed RTP header size in bytes (before CSRCs and extension). */
export const RTP_HEADER_BYTES = 12;

/**
 * True when the datagram is RTCP multiplexed on the RTP port (RFC 5761 §4):
 * version 2 and second byte 192..223, which covers SR/RR/SDES/BYE/APP (200..204)
 * and the feedback/XR types (205..207). RTP never uses that range because payload
 * types 64..95 are reserved against exactly this collision.
 */
export function isRtcp(buf: Buffer): boolean {
  if (buf.length < 8 || buf[0] >> 6 !== 2) return false;
  const b1 = buf[1];
  return b1 >= 192 && b1 <= 223;
}

/** Parse one RTP datagram; null for RTCP and for anything malformed. */
export function parseRtp(buf: Buffer): RtpPacket | null {
  const len = buf.length;
  if (len < RTP_HEADER_BYTES) return null;
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return null;
  const b1 = buf[1];
  if (b1 >= 192 && b1 <= 223) return null; // RTCP on a muxed port: caller ignores it

  // Header end in bytes: fixed part + 4 bytes per CSRC (CC is the low nibble).
  let offset = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  if (offset > len) return null;

  if (b0 & 0x10) {
    // Extension: 2 bytes profile, 2 bytes length in 32-bit words, then the words.
    if (offset + 4 > len) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
    if (offset > len) return null;
  }

  let end = len;
  if (b0 & 0x20) {
    // The last byte counts padding bytes including itself, so 0 is invalid.
    const pad = buf[len - 1];
    if (pad === 0 || pad > len - offset) return null;
    end = len - pad;
  }

  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

/** Serialise an RTP packet (tests, load generators, media forks). */
export function buildRtp(opts: RtpBuildOptions): Buffer {
  const csrcs = opts.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const payload = opts.payload ?? new Uint8Array(0);
  const ext = opts.extension;
  if (ext && ext.data.length % 4 !== 0) throw new RangeError('extension data must be a multiple of 4 bytes');
  const padding = opts.padding ?? 0;
  if (padding < 0 || padding > 255) throw new RangeError('padding must be 0..255 bytes');

  const extBytes = ext ? 4 + ext.data.length : 0;
  const headerBytes = RTP_HEADER_BYTES + csrcs.length * 4 + extBytes;
  const buf = Buffer.alloc(headerBytes + payload.length + padding);
  buf[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  buf[1] = (opts.marker ? 0x80 : 0) | (opts.payloadType & 0x7f);
  buf.writeUInt16BE(opts.sequence & 0xffff, 2);
  buf.writeUInt32BE(opts.timestamp >>> 0, 4);
  buf.writeUInt32BE(opts.ssrc >>> 0, 8);
  let o = RTP_HEADER_BYTES;
  for (const c of csrcs) {
    buf.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (ext) {
    buf.writeUInt16BE(ext.profile & 0xffff, o);
    buf.writeUInt16BE(ext.data.length / 4, o + 2);
    buf.set(ext.data, o + 4);
    o += extBytes;
  }
  buf.set(payload, o);
  if (padding > 0) buf[buf.length - 1] = padding;
  return buf;
}
