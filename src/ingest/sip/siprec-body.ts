import { getHeader, getOptionTags } from './sip-headers.js';
import { parseMultipart, type BodyPart } from './multipart.js';
import { MetadataError, parseRecordingMetadata, type RecordingMetadata } from './rs-metadata.js';
import type { SipRequest } from './sip-types.js';

/** What a SIPREC INVITE (or re-INVITE) carries. */
export interface SiprecBody {
  /** `Require: siprec`, or a recording metadata part is present (RFC 7866 §6.1.1). */
  isSiprec: boolean;
  sdp?: string;
  metadata?: RecordingMetadata;
  /** Set when a metadata part exists but could not be used (its error message). */
  metadataError?: string;
}

const METADATA_TYPES = new Set(['application/rs-metadata+xml', 'application/rs-metadata']);

/**
 * Extracts SDP and rs-metadata from an INVITE body: multipart in any part order or plain
 * SDP; extra parts are ignored. A part is metadata by its Content-Type (with or without
 * +xml) or, for equipment that mangles the type, by `Content-Disposition: recording-session`.
 * The `+sip.src` Contact feature tag is deliberately not a criterion. Never throws.
 */
export function parseSiprecInvite(req: SipRequest): SiprecBody {
  const requiresSiprec = getOptionTags(req, 'require').includes('siprec');
  const ctype = getHeader(req, 'content-type') ?? sniffType(req.body);
  const parts = req.body.length === 0 ? [] : parseMultipart(req.body, ctype);
  const sdpPart = parts.find((p) => p.contentType === 'application/sdp');
  const mdPart = parts.find((p) => METADATA_TYPES.has(p.contentType)) ?? parts.find(isRecordingSessionPart);
  const out: SiprecBody = { isSiprec: requiresSiprec || mdPart !== undefined };
  if (sdpPart !== undefined) out.sdp = sdpPart.body.toString('utf8');
  if (mdPart !== undefined) {
    try {
      out.metadata = parseRecordingMetadata(mdPart.body);
    } catch (err) {
      out.metadataError = err instanceof MetadataError ? `${err.code}: ${err.message}` : String(err);
    }
  }
  return out;
}

function isRecordingSessionPart(p: BodyPart): boolean {
  const disp = p.headers['content-disposition'];
  return disp !== undefined && disp.split(';')[0]!.trim().toLowerCase() === 'recording-session' && p.contentType !== 'application/sdp';
}

// A body without Content-Type: SDP starts with "v=0", a MIME body with a "--boundary" line.
function sniffType(body: Buffer): string {
  const head = body.subarray(0, 256).toString('latin1').trimStart();
  if (head.startsWith('v=0')) return 'application/sdp';
  if (head.startsWith('--')) return 'multipart/mixed';
  return 'application/octet-stream';
}
