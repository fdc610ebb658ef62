/** Errors from SDP parsing and negotiation; `code` maps to the SIP answer (488 for both). */
export class SdpError extends Error {
  override readonly name: string = 'SdpError';
  constructor(
    readonly code: 'BAD_SDP' | 'NO_ACCEPTABLE_CODEC',
    message: string,
  ) {
    super(message);
  }
}

/** An rtpmap entry: encoding name as written, RTP clock rate (Hz), channels. */
export interface RtpMap {
  encoding: string;
  clockRate: number;
  channels: number;
}

/** Stream direction attributes of RFC 4566 §6. */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One m= section with the attributes recording needs; label and mid are kept as exact strings. */
export interface SdpMedia {
  type: string;
  port: number;
  proto: string;
  formats: string[];
  connection?: string;
  direction?: SdpDirection;
  label?: string;
  mid?: string;
  ptime?: number;
  rtcpPort?: number;
  rtcpMux: boolean;
  rtpmap: Map<number, RtpMap>;
  fmtp: Map<number, string>;
}

/** A session description reduced to what an SRS answer needs. */
export interface SdpSession {
  originAddress?: string;
  connection?: string;
  direction?: SdpDirection;
  media: SdpMedia[];
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const MAX_SDP_BYTES = 64 * 1024;

/**
 * Parses SDP (RFC 4566) line by line without regular expressions. Lenient about what
 * vendors do (LF line ends, trailing spaces, unknown attributes); throws SdpError('BAD_SDP')
 * only when there is no usable description at all.
 */
export function parseSdp(text: string): SdpSession {
  if (text.length > MAX_SDP_BYTES) throw new SdpError('BAD_SDP', `SDP larger than ${MAX_SDP_BYTES} bytes`);
  const session: SdpSession = { media: [] };
  let sawVersion = false;
  let m: SdpMedia | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2).trim();
    switch (line[0]) {
      case 'v':
        sawVersion = true;
        break;
      case 'o': {
        const f = value.split(/\s+/);
        if (f.length >= 6) session.originAddress = f[5];
        break;
      }
      case 'c': {
        const f = value.split(/\s+/);
        const addr = f[2]?.split('/')[0];
        if (addr !== undefined && addr.length > 0) {
          if (m) m.connection = addr;
          else session.connection = addr;
        }
        break;
      }
      case 'm': {
        const f = value.split(/\s+/);
        const port = Number((f[1] ?? '').split('/')[0]);
        m = {
          type: (f[0] ?? '').toLowerCase(),
          port: Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0,
          proto: f[2] ?? '',
          formats: f.slice(3).filter((x) => x.length > 0),
          rtcpMux: false,
          rtpmap: new Map(),
          fmtp: new Map(),
        };
        session.media.push(m);
        break;
      }
      case 'a':
        applyAttribute(session, m, value);
        break;
      default:
        break;
    }
  }
  if (!sawVersion && session.media.length === 0) throw new SdpError('BAD_SDP', 'not an SDP body');
  return session;
}

function applyAttribute(session: SdpSession, m: SdpMedia | undefined, attr: string): void {
  const colon = attr.indexOf(':');
  const name = (colon < 0 ? attr : attr.slice(0, colon)).toLowerCase();
  const val = colon < 0 ? '' : attr.slice(colon + 1).trim();
  if (DIRECTIONS.has(name)) {
    if (m) m.direction = name as SdpDirection;
    else session.direction = name as SdpDirection;
    return;
  }
  if (!m) return;
  switch (name) {
    case 'rtpmap': {
      const sp = val.indexOf(' ');
      const pt = Number(val.slice(0, sp));
      const [encoding = '', rate = '', channels = '1'] = val.slice(sp + 1).trim().split('/');
      if (sp > 0 && Number.isInteger(pt)) m.rtpmap.set(pt, { encoding, clockRate: Number(rate), channels: Number(channels) || 1 });
      break;
    }
    case 'fmtp': {
      const sp = val.indexOf(' ');
      const pt = Number(val.slice(0, sp));
      if (sp > 0 && Number.isInteger(pt)) m.fmtp.set(pt, val.slice(sp + 1).trim());
      break;
    }
    case 'label':
      m.label = val;
      break;
    case 'mid':
      m.mid = val;
      break;
    case 'ptime': {
      const p = Number(val);
      if (p > 0 && p <= 1000) m.ptime = p;
      break;
    }
    case 'rtcp': {
      const p = Number(val.split(/\s+/)[0]);
      if (Number.isInteger(p) && p > 0 && p <= 65535) m.rtcpPort = p;
      break;
    }
    case 'rtcp-mux':
      m.rtcpMux = true;
      break;
    default:
      break;
  }
}
