// Duration of one RTP payload in RTP clock ticks, which the jitter buffer needs to
// detect overlap and the consumer needs to size silence gaps.

/** Duration in RTP ticks of a payload of `payloadLength` bytes with payload type `payloadType`. */
export type TicksOf = (payloadType: number, payloadLength: number) => number;

/**
 * Durations for the static payload types of RFC 3551; dynamic types (96..127) fall
 * back to one tick per byte, which is right for G.711 and G.722 only, so callers with
 * dynamic codecs (L16, Opus…) must pass their own TicksOf built from the SDP.
 */
export function staticTicksOf(payloadType: number, payloadLength: number): number {
  switch (payloadType) {
    case 0: // PCMU: 1 byte per 8 kHz sample
    case 8: // PCMA
    case 9: // G.722: 16 kHz audio at 4 bits/sample, but its RTP clock is 8000 → 1 byte per tick
      return payloadLength;
    case 10: // L16 stereo 44.1 kHz: 2 bytes × 2 channels per tick
      return payloadLength >>> 2;
    case 11: // L16 mono 44.1 kHz: 2 bytes per tick
      return payloadLength >>> 1;
    case 18: // G.729: 10-byte frame per 80 ticks (10 ms); 2-byte SID frames count as 0
      return ((payloadLength / 10) | 0) * 80;
    case 13: // Comfort noise: a noise level, not audio; the gap that follows is silence
      return 0;
    default:
      return payloadLength;
  }
}

/** TicksOf for L16 (RFC 3551 §4.5.11) with the given channel count: 2 bytes per sample per channel. */
export function l16TicksOf(channels: number): TicksOf {
  const bytesPerTick = 2 * channels;
  return (_payloadType, payloadLength) => (payloadLength / bytesPerTick) | 0;
}
