// The deterministic audio of the streams benchmark: every 20 ms frame of every stream and
// track is distinct and computable from (stream, track, frame index) alone, so the load
// process needs no per-stream state to send it and the verifier none to check it.
//
// A frame is 160 µ-law bytes: a 6-byte header (stream index, track, frame index) followed
// by 154 bytes of one of P pre-generated noise frames. 6 is a multiple of 3, so the
// frame's base64 is the header's 8 characters followed by the noise frame's precomputed
// base64: building a payload costs one tiny encode, not a 160-byte one.
import { mulawDecode } from '../../src/media/g711.js';

/** µ-law bytes (= samples at 8 kHz) per 20 ms frame. */
export const FRAME = 160;
const HEADER = 6;
const P = 251;

const tails: Uint8Array[] = [];
const tailsB64: string[] = [];
{
  let x = 0x9e3779b9;
  for (let i = 0; i < P; i++) {
    const tail = new Uint8Array(FRAME - HEADER);
    for (let j = 0; j < tail.length; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      tail[j] = x & 0xff;
    }
    tails.push(tail);
    tailsB64.push(Buffer.from(tail).toString('base64'));
  }
}

function tailIndex(stream: number, track: 0 | 1, k: number): number {
  return (k + stream * 31 + track * 17) % P;
}

function header(stream: number, track: 0 | 1, k: number): Buffer {
  return Buffer.from([(stream >> 8) & 0xff, stream & 0xff, track, (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff]);
}

/** The base64 payload of frame `k` of `track` (0 = inbound, 1 = outbound) of `stream`. */
export function payloadB64(stream: number, track: 0 | 1, k: number): string {
  return header(stream, track, k).toString('base64') + tailsB64[tailIndex(stream, track, k)];
}

/** The µ-law bytes of that frame. */
export function frameBytes(stream: number, track: 0 | 1, k: number): Uint8Array {
  const out = new Uint8Array(FRAME);
  out.set(header(stream, track, k), 0);
  out.set(tails[tailIndex(stream, track, k)], HEADER);
  return out;
}

/** The samples a recording must hold for that frame. */
export function expectedPcm(stream: number, track: 0 | 1, k: number): Int16Array {
  return mulawDecode(frameBytes(stream, track, k));
}
