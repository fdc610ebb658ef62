import { getHeader, getHeaders, getOptionTags } from './sip-headers.js';
import { parseUri } from './sip-uri.js';
import type { SipHeader, SipRequest } from './sip-types.js';

/** What this UAS supports; requests asking for more get the RFC 3261 §8.2 rejection. */
export interface PrecheckOptions {
  /** Methods handled (others known to SIP get 405, unknown ones 501). */
  allowedMethods?: string[];
  /** Option tags we implement; a Require naming another gets 420. */
  supportedOptionTags?: string[];
  /** Body types accepted in requests that carry a body. */
  acceptedContentTypes?: string[];
  /** Request-URI schemes served; others get 416. */
  uriSchemes?: string[];
}

/** A rejection decided before the request reaches the application. */
export interface PrecheckRejection {
  status: number;
  reason: string;
  headers: SipHeader[];
}

/** Defaults for a SIPREC recording server (RFC 7866 §6: the SRS supports the "siprec" option tag). */
export const PRECHECK_DEFAULTS = {
  allowedMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'UPDATE'],
  supportedOptionTags: ['siprec'],
  acceptedContentTypes: ['application/sdp', 'multipart/mixed', 'multipart/alternative', 'application/rs-metadata+xml', 'application/rs-metadata'],
  uriSchemes: ['sip', 'sips', 'tel'],
};

// Methods defined by RFC 3261 and its extensions: recognised, so 405 rather than 501.
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']);

/**
 * UAS checks of RFC 3261 §8.2.1-8.2.3 in order: method (405/501), Request-URI scheme (416),
 * Require (420), Content-Type (415), Accept (406). Returns undefined when the request may proceed.
 */
export function precheckRequest(req: SipRequest, options: PrecheckOptions = {}): PrecheckRejection | undefined {
  const o = { ...PRECHECK_DEFAULTS, ...options };
  const allow: SipHeader = { name: 'Allow', value: o.allowedMethods.join(', ') };
  if (!o.allowedMethods.includes(req.method)) {
    return KNOWN_METHODS.has(req.method)
      ? { status: 405, reason: 'Method Not Allowed', headers: [allow] }
      : { status: 501, reason: 'Not Implemented', headers: [allow] };
  }
  // ACK and CANCEL are never rejected: ACK gets no response, CANCEL follows its INVITE (§8.2.2.3).
  if (req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  let scheme = '';
  try {
    scheme = parseUri(req.uri).scheme;
  } catch {
    scheme = '';
  }
  if (!o.uriSchemes.includes(scheme)) return { status: 416, reason: 'Unsupported URI Scheme', headers: [] };
  const supported = new Set(o.supportedOptionTags.map((t) => t.toLowerCase()));
  const unsupported = getHeaders(req, 'require').filter((t) => !supported.has(t.toLowerCase()));
  if (unsupported.length > 0) {
    return { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: unsupported.join(', ') }] };
  }
  const ctype = getHeader(req, 'content-type');
  if (req.body.length > 0 && ctype !== undefined) {
    const media = ctype.split(';')[0]!.trim().toLowerCase();
    if (!o.acceptedContentTypes.includes(media)) {
      return { status: 415, reason: 'Unsupported Media Type', headers: [{ name: 'Accept', value: o.acceptedContentTypes.join(', ') }] };
    }
  }
  if (req.method === 'INVITE' && !acceptsSdp(getOptionTags(req, 'accept'))) {
    return { status: 406, reason: 'Not Acceptable', headers: [] };
  }
  return undefined;
}

// No Accept header means application/sdp is acceptable (RFC 3261 §20.1).
function acceptsSdp(accept: string[]): boolean {
  if (accept.length === 0) return true;
  return accept.some((a) => {
    const media = a.split(';')[0]!.trim();
    return media === 'application/sdp' || media === 'application/*' || media === '*/*';
  });
}
