// Checks one stored WAV of the ingest benchmark against the packets the load generator
// sent: channel 1 must hold the caller stream and channel 2 the callee stream, every
// packet's 160 samples exactly where the previous one ended. A block of exact zeros where
// a packet belongs is a lost packet (the recorder fills gaps with silence and the signal
// has no zero sample); any other mismatch is a corrupt or misplaced packet. Outside the
// packets (before the first, after the last) the channel must be silent.
import { packetOffset, PACKET_SAMPLES, PCM_TABLE } from './ingest-signal.js';
import { readPcmWav } from '../../test/helpers/audio.js';

/** Per-channel outcome. */
export interface ChannelCheck {
  /** Packets found sample-exact in place. */
  exact: number;
  /** Packets whose place holds only zeros (or lies past the end of the file). */
  lost: number;
  /** Packets whose place holds something else. */
  corrupt: number;
  /** Non-zero samples outside the packets' span. */
  stray: number;
  /** Sample index of packet 0 in the channel; -1 when no packet was found at all. */
  start: number;
  /** Numbers of the first few packets that were not exact (for the report). */
  badPackets: number[];
}

/** Outcome for one call. */
export interface CallCheck {
  channels: [ChannelCheck, ChannelCheck];
  /** Where the callee stream starts relative to the caller stream, ms. */
  skewMs: number;
  ok: boolean;
  problem?: string;
}

function blockMatches(samples: Int16Array, stride: number, ch: number, pos: number, off: number): boolean {
  for (let j = 0; j < PACKET_SAMPLES; j++) if (samples[(pos + j) * stride + ch] !== PCM_TABLE[off + j]) return false;
  return true;
}

function blockSilent(samples: Int16Array, stride: number, ch: number, pos: number, frames: number): boolean {
  const end = Math.min(frames, pos + PACKET_SAMPLES);
  for (let i = pos; i < end; i++) if (samples[i * stride + ch] !== 0) return false;
  return true;
}

/** Finds packet 0's position from the first of the first 50 packets that is present. */
function findStart(samples: Int16Array, stride: number, ch: number, frames: number, call: number, stream: number, sent: number): number {
  for (let k0 = 0; k0 < Math.min(sent, 50); k0++) {
    const off = packetOffset(call, stream, k0);
    const first = PCM_TABLE[off];
    for (let p = 0; p + PACKET_SAMPLES <= frames; p++) {
      if (samples[p * stride + ch] === first && blockMatches(samples, stride, ch, p, off)) return p - k0 * PACKET_SAMPLES;
    }
  }
  return -1;
}

function checkChannel(samples: Int16Array, stride: number, ch: number, call: number, sent: number): ChannelCheck {
  const frames = Math.floor(samples.length / stride);
  const start = findStart(samples, stride, ch, frames, call, ch, sent);
  if (start === -1) return { exact: 0, lost: sent, corrupt: 0, stray: 0, start: -1, badPackets: [] };
  let exact = 0;
  let lost = 0;
  let corrupt = 0;
  const badPackets: number[] = [];
  for (let k = 0; k < sent; k++) {
    const pos = start + k * PACKET_SAMPLES;
    if (pos >= 0 && pos + PACKET_SAMPLES <= frames && blockMatches(samples, stride, ch, pos, packetOffset(call, ch, k))) {
      exact++;
      continue;
    }
    if (badPackets.length < 5) badPackets.push(k);
    if (pos >= frames || (pos >= 0 && blockSilent(samples, stride, ch, pos, frames))) lost++;
    else corrupt++;
  }
  let stray = 0;
  const spanEnd = start + sent * PACKET_SAMPLES;
  for (let i = 0; i < Math.min(frames, Math.max(0, start)); i++) if (samples[i * stride + ch] !== 0) stray++;
  for (let i = Math.max(0, spanEnd); i < frames; i++) if (samples[i * stride + ch] !== 0) stray++;
  return { exact, lost, corrupt, stray, start, badPackets };
}

/** Checks a stored WAV of call `call`, whose streams sent `sent[0]` and `sent[1]` packets. */
export function checkCallWav(wav: Buffer, call: number, sent: [number, number]): CallCheck {
  const { sampleRate, channels, samples } = readPcmWav(wav);
  const empty: ChannelCheck = { exact: 0, lost: sent[0], corrupt: 0, stray: 0, start: -1, badPackets: [] };
  if (sampleRate !== 8000 || channels !== 2) {
    return { channels: [empty, { ...empty, lost: sent[1] }], skewMs: NaN, ok: false, problem: `WAV is ${channels} ch at ${sampleRate} Hz, expected 2 ch at 8000 Hz` };
  }
  const c0 = checkChannel(samples, 2, 0, call, sent[0]);
  const c1 = checkChannel(samples, 2, 1, call, sent[1]);
  const skewMs = c0.start >= 0 && c1.start >= 0 ? ((c1.start - c0.start) * 1000) / sampleRate : NaN;
  const ok = c0.exact === sent[0] && c1.exact === sent[1] && c0.stray === 0 && c1.stray === 0;
  let problem: string | undefined;
  if (!ok) {
    problem = [c0, c1]
      .map((c, i) => `ch${i + 1}: ${c.exact}/${sent[i]} exact, ${c.lost} lost, ${c.corrupt} corrupt${c.badPackets.length ? ` (packets ${c.badPackets.join(',')}${c.lost + c.corrupt > c.badPackets.length ? ',...' : ''})` : ''}, ${c.stray} stray samples`)
      .join('; ');
  }
  return { channels: [c0, c1], skewMs, ok, problem };
}
