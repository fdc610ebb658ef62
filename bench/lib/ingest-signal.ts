// The deterministic audio of the ingest benchmark, shared by the load generator (which
// sends it) and the verifier (which checks the stored WAV against it).
//
// Every 20 ms packet carries 160 µ-law bytes cut from one shared table at an offset that
// is a hash of (call, stream, packet number), so each packet of each stream of each call
// is unique (a packet landing in the wrong call, channel or place is caught) without the
// load generator holding per-call audio. No table byte decodes to an exact 0, so a packet
// the service never received shows up in the WAV as 160 exact zeros (the recorder fills
// gaps with silence): loss is read from the audio itself.
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';

/** Samples (and µ-law bytes) per 20 ms packet at 8 kHz. */
export const PACKET_SAMPLES = 160;
/** Packet interval, ms. */
export const PACKET_MS = 20;
/** Offsets are taken modulo this (a power of two); the table is one packet longer. */
const TABLE_SPAN = 1 << 16;

/** µ-law codes, TABLE_SPAN + PACKET_SAMPLES long; none decodes to 0. */
export const ULAW_TABLE: Buffer = buildTable();
/** ULAW_TABLE decoded: what the WAV must hold, sample for sample. */
export const PCM_TABLE: Int16Array = mulawDecode(ULAW_TABLE);

function buildTable(): Buffer {
  // Speech-like level (two tones and noise around -20 dBFS) rather than full-scale noise,
  // so the MP3 encoder at finalize sees a plausible load. Deterministic LCG noise.
  const n = TABLE_SPAN + PACKET_SAMPLES;
  const pcm = new Int16Array(n);
  let seed = 0x2545f491;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const noise = ((seed >>> 16) & 0xffff) - 32768;
    pcm[i] = Math.round(2500 * Math.sin((2 * Math.PI * 300 * i) / 8000) + 1200 * Math.sin((2 * Math.PI * 1130 * i) / 8000) + noise / 16);
  }
  const codes = Buffer.from(mulawEncode(pcm));
  const decoded = mulawDecode(codes);
  // 0x7f and 0xff are µ-law's -0 and +0; move any such sample one step away from zero.
  for (let i = 0; i < n; i++) if (decoded[i] === 0) codes[i] = 0xfe;
  const check = mulawDecode(codes);
  for (let i = 0; i < n; i++) if (check[i] === 0) throw new Error('signal table holds a zero sample');
  return codes;
}

/** Table offset of packet `k` of `stream` (0 = caller, 1 = callee) of call `call`. */
export function packetOffset(call: number, stream: number, k: number): number {
  let h = Math.imul(call * 2 + stream + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae3d);
  h ^= h >>> 13;
  return (h >>> 0) & (TABLE_SPAN - 1);
}

/** The RTP identity of one stream: where its sequence numbers and timestamps start. */
export function streamIdentity(call: number, stream: number): { ssrc: number; seq0: number; ts0: number } {
  const base = packetOffset(call, stream, 0x7fffffff);
  return {
    ssrc: (Math.imul(call + 1, 0x27d4eb2d) ^ (stream ? 0x5bd1e995 : 0x1b873593)) >>> 0,
    // Starting near the wrap points makes every run exercise sequence and timestamp wrap-around.
    seq0: (0xffff - (base & 0x3ff)) & 0xffff,
    ts0: (0xffffffff - base * 160) >>> 0,
  };
}

/** Writes packet `k` of a stream (RTP header + 160 µ-law bytes) into a new 172-byte Buffer. */
export function buildPacket(call: number, stream: number, k: number, id: { ssrc: number; seq0: number; ts0: number }): Buffer {
  const buf = Buffer.allocUnsafe(12 + PACKET_SAMPLES);
  const seq = (id.seq0 + k) & 0xffff;
  const ts = (id.ts0 + k * PACKET_SAMPLES) >>> 0;
  buf[0] = 0x80;
  buf[1] = k === 0 ? 0x80 : 0x00; // marker on the first packet, payload type 0 (PCMU)
  buf[2] = seq >>> 8;
  buf[3] = seq & 0xff;
  buf.writeUInt32BE(ts, 4);
  buf.writeUInt32BE(id.ssrc, 8);
  const off = packetOffset(call, stream, k);
  ULAW_TABLE.copy(buf, 12, off, off + PACKET_SAMPLES);
  return buf;
}
