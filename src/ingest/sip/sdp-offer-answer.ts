import { randomInt } from 'node:crypto';
import { parseSdp, SdpError, type SdpDirection, type SdpMedia, type SdpSession } from './sdp-parse.js';

export { SdpError } from './sdp-parse.js';

/** No offered audio stream uses a codec we decode: the caller answers 488 Not Acceptable Here. */
export class NoAcceptableCodecError extends SdpError {
  override readonly name = 'NoAcceptableCodecError';
  constructor(message = 'no audio stream with a codec we decode (PCMU, PCMA, G722, L16)') {
    super('NO_ACCEPTABLE_CODEC', message);
  }
}

/** A codec we can decode. clockRate is the RTP clock (Hz); sampleRate the audio rate (G.722: 8000 vs 16000). */
export interface NegotiatedCodec {
  name: 'PCMU' | 'PCMA' | 'G722' | 'L16';
  payloadType: number;
  clockRate: number;
  channels: number;
  sampleRate: number;
}

/** The outcome for one offered m= line, in offer order. */
export interface NegotiatedStream {
  index: number;
  label?: string;
  mid?: string;
  media: 'audio' | string;
  remoteAddress: string;
  remotePort: number;
  /** From a=rtcp, else remotePort + 1 (RFC 3605); undefined for rejected streams. */
  remoteRtcpPort?: number;
  /** Our RTP port; 0 when rejected. */
  localPort: number;
  codec?: NegotiatedCodec;
  telephoneEventPayloadType?: number;
  /** Direction as offered (the SRC's view: 'sendonly' means it sends to us). */
  direction: SdpDirection;
  /** What we answered: always receive-only, or inactive when the offer sends nothing. */
  answerDirection: 'recvonly' | 'inactive';
  /** Offer is inactive/recvonly, or its c= line is 0.0.0.0 (RFC 2543 style hold). */
  onHold: boolean;
  ptime?: number;
  rejected: boolean;
}

/** Result of an offer/answer exchange; keep it to handle re-INVITEs with updateForReoffer. */
export interface OfferAnswerResult {
  answerSdp: string;
  streams: NegotiatedStream[];
  /** o= line values; the version increases whenever a later answer differs (RFC 3264 §8). */
  origin: { sessionId: string; version: number };
  localIp: string;
}

/** Where our media is received and how RTP ports are obtained. */
export interface NegotiateOptions {
  allocatePort: () => number;
  localIp: string;
  sessionName?: string;
}

// RFC 3551 static payload types we decode.
const STATIC: Record<number, { encoding: string; clockRate: number; channels: number }> = {
  0: { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  8: { encoding: 'PCMA', clockRate: 8000, channels: 1 },
  9: { encoding: 'G722', clockRate: 8000, channels: 1 },
  10: { encoding: 'L16', clockRate: 44100, channels: 2 },
  11: { encoding: 'L16', clockRate: 44100, channels: 1 },
};
const L16_RATES = new Set([8000, 16000, 44100]);
const RTP_PROTOS = new Set(['RTP/AVP', 'RTP/AVPF']);

/** Answers an SDP offer as a receive-only recorder; throws NoAcceptableCodecError or SdpError (both → 488). */
export function negotiateOffer(offerSdp: string, opts: NegotiateOptions): OfferAnswerResult {
  const origin = { sessionId: String(randomInt(1, 2 ** 47)), version: 1 };
  const sdp = parseSdp(offerSdp);
  const { streams } = negotiate(sdp, opts.allocatePort, () => undefined);
  return { answerSdp: writeAnswer(streams, sdp.media, origin, opts), streams, origin, localIp: opts.localIp };
}

/**
 * Answers a re-INVITE offer. A stream keeps its local port when its a=label (or, without
 * labels, its m= line index) persists; hold, resume and codec changes keep the port; new
 * streams get a new port. `releasedPorts` lists ports of streams that went away or were rejected.
 */
export function updateForReoffer(
  previous: OfferAnswerResult,
  newOffer: string,
  opts: Omit<NegotiateOptions, 'localIp'> & { localIp?: string },
): OfferAnswerResult & { releasedPorts: number[] } {
  const localIp = opts.localIp ?? previous.localIp;
  const kept = new Set<NegotiatedStream>();
  const reuse = (m: SdpMedia, index: number): number | undefined => {
    const prev =
      m.label !== undefined
        ? previous.streams.find((s) => s.label === m.label && !kept.has(s))
        : previous.streams.find((s) => s.index === index && s.label === undefined && !kept.has(s));
    if (prev === undefined || prev.rejected || prev.localPort === 0) return undefined;
    kept.add(prev);
    return prev.localPort;
  };
  const sdp = parseSdp(newOffer);
  const { streams } = negotiate(sdp, opts.allocatePort, reuse);
  const releasedPorts = previous.streams.filter((s) => !s.rejected && s.localPort > 0 && !kept.has(s)).map((s) => s.localPort);
  let origin = previous.origin;
  let answerSdp = writeAnswer(streams, sdp.media, origin, { ...opts, localIp });
  if (withoutOrigin(answerSdp) !== withoutOrigin(previous.answerSdp)) {
    origin = { sessionId: origin.sessionId, version: origin.version + 1 };
    answerSdp = writeAnswer(streams, sdp.media, origin, { ...opts, localIp });
  }
  return { answerSdp, streams, origin, localIp, releasedPorts };
}

function withoutOrigin(sdp: string): string {
  return sdp.split('\r\n').filter((l) => !l.startsWith('o=')).join('\r\n');
}

function negotiate(
  sdp: SdpSession,
  allocatePort: () => number,
  reuse: (m: SdpMedia, index: number) => number | undefined,
): { streams: NegotiatedStream[] } {
  // Decide everything first and allocate afterwards, so a 488 never leaks ports.
  const streams = sdp.media.map((m, index) => describe(sdp, m, index));
  if (!streams.some((s) => !s.rejected)) throw new NoAcceptableCodecError();
  for (const s of streams) {
    // A rejected stream takes no port; one it held before is released by the caller.
    if (!s.rejected) s.localPort = reuse(sdp.media[s.index]!, s.index) ?? allocatePort();
  }
  return { streams };
}

function describe(sdp: SdpSession, m: SdpMedia, index: number): NegotiatedStream {
  const explicit = m.connection ?? sdp.connection;
  const direction = m.direction ?? sdp.direction ?? 'sendrecv';
  const s: NegotiatedStream = {
    index,
    media: m.type,
    remoteAddress: explicit ?? sdp.originAddress ?? '0.0.0.0',
    remotePort: m.port,
    localPort: 0,
    direction,
    answerDirection: direction === 'inactive' || direction === 'recvonly' ? 'inactive' : 'recvonly',
    onHold: direction === 'inactive' || direction === 'recvonly' || explicit === '0.0.0.0' || explicit === '::',
    rejected: true,
  };
  if (m.label !== undefined) s.label = m.label;
  if (m.mid !== undefined) s.mid = m.mid;
  if (m.type !== 'audio' || m.port === 0 || !RTP_PROTOS.has(m.proto.toUpperCase())) return s;
  const codec = pickCodec(m);
  if (codec === undefined) return s;
  s.codec = codec;
  s.rejected = false;
  s.remoteRtcpPort = m.rtcpPort ?? m.port + 1;
  if (m.ptime !== undefined) s.ptime = m.ptime;
  const te = pickTelephoneEvent(m, codec.clockRate);
  if (te !== undefined) s.telephoneEventPayloadType = te;
  return s;
}

// First format, in the offerer's preference order, that we decode (RFC 3264 §6.1).
function pickCodec(m: SdpMedia): NegotiatedCodec | undefined {
  for (const f of m.formats) {
    const pt = Number(f);
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
    const map = m.rtpmap.get(pt) ?? STATIC[pt];
    if (map === undefined) continue;
    const enc = map.encoding.toUpperCase();
    const { clockRate, channels } = map;
    if ((enc === 'PCMU' || enc === 'PCMA') && clockRate === 8000 && channels === 1) {
      return { name: enc, payloadType: pt, clockRate, channels, sampleRate: 8000 };
    }
    // G.722's RTP clock is 8000 for historical reasons (RFC 3551 §4.5.2); its audio is 16 kHz.
    if (enc === 'G722' && clockRate === 8000 && channels === 1) {
      return { name: 'G722', payloadType: pt, clockRate, channels, sampleRate: 16000 };
    }
    if (enc === 'L16' && L16_RATES.has(clockRate) && (channels === 1 || channels === 2)) {
      return { name: 'L16', payloadType: pt, clockRate, channels, sampleRate: clockRate };
    }
  }
  return undefined;
}

function pickTelephoneEvent(m: SdpMedia, clockRate: number): number | undefined {
  for (const f of m.formats) {
    const pt = Number(f);
    const map = m.rtpmap.get(pt);
    if (map && map.encoding.toLowerCase() === 'telephone-event' && map.clockRate === clockRate) return pt;
  }
  return undefined;
}

function writeAnswer(
  streams: NegotiatedStream[],
  offered: SdpMedia[],
  origin: OfferAnswerResult['origin'],
  opts: { localIp: string; sessionName?: string },
): string {
  const ipVer = opts.localIp.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${origin.sessionId} ${origin.version} IN ${ipVer} ${opts.localIp}`,
    `s=${opts.sessionName ?? 'Telefonie Recording'}`,
    `c=IN ${ipVer} ${opts.localIp}`,
    't=0 0',
  ];
  for (const s of streams) {
    const m = offered[s.index]!;
    const proto = m.proto || 'RTP/AVP';
    if (s.rejected || s.codec === undefined) {
      // RFC 3264 §6: a rejected stream keeps its m= line, with port 0 and one offered format.
      lines.push(`m=${s.media || 'audio'} 0 ${proto} ${m.formats[0] ?? '0'}`);
      if (s.mid !== undefined) lines.push(`a=mid:${s.mid}`);
      continue;
    }
    const c = s.codec;
    const fmts = s.telephoneEventPayloadType === undefined ? `${c.payloadType}` : `${c.payloadType} ${s.telephoneEventPayloadType}`;
    lines.push(`m=audio ${s.localPort} ${proto} ${fmts}`);
    lines.push(`a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ''}`);
    if (s.telephoneEventPayloadType !== undefined) {
      lines.push(`a=rtpmap:${s.telephoneEventPayloadType} telephone-event/${c.clockRate}`);
      // Keep the offer's event list when it gave one (RFC 4733 §2.4.1), else the DTMF digits.
      lines.push(`a=fmtp:${s.telephoneEventPayloadType} ${m.fmtp.get(s.telephoneEventPayloadType) ?? '0-15'}`);
    }
    if (s.ptime !== undefined) lines.push(`a=ptime:${s.ptime}`);
    if (s.label !== undefined) lines.push(`a=label:${s.label}`);
    if (s.mid !== undefined) lines.push(`a=mid:${s.mid}`);
    lines.push(`a=${s.answerDirection}`);
  }
  return lines.join('\r\n') + '\r\n';
}
