import { getHeader, type RecordingMetadata, type SipRequest } from '../sip/index.js';

/**
 * The id a SIPREC session's call gets (Recording.call_id), first found of:
 * 1. the recorded call's Session-ID (RFC 7989) from `<sipSessionID>` in the metadata,
 *    without its parameters: the end-to-end id both SBC and PBX log;
 * 2. the metadata's `<session session_id=...>`: the SRC's id for the recorded call;
 * 3. the SIP Call-ID of the recording session's INVITE.
 */
export function recordedCallId(req: SipRequest, metadata: RecordingMetadata | undefined): string {
  const sessionId = metadata?.sipSessionIds.map((s) => s.split(';')[0].trim()).find((s) => s.length > 0);
  if (sessionId) return sessionId.slice(0, 256);
  const mdSession = metadata?.sessionIds.find((s) => s.trim().length > 0);
  if (mdSession) return mdSession.trim().slice(0, 256);
  return (getHeader(req, 'call-id') ?? 'unknown').slice(0, 256);
}
