import { getTag } from './sip-address.js';
import { parseCSeq, parseVia, type Via } from './sip-fields.js';
import { getHeader } from './sip-headers.js';
import { splitTopLevel } from './sip-scanner.js';
import type { SipRequest } from './sip-types.js';

/** RFC 3261 §8.1.1.7: branches starting with this are globally unique transaction ids. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** The top Via of a request (validated by the parser, so present). */
export function topVia(req: SipRequest): Via {
  return parseVia(getHeader(req, 'via') ?? '')[0]!;
}

/**
 * Server transaction key (RFC 3261 §17.2.3). With an RFC 3261 branch: branch + sent-by +
 * method, ACK matching its INVITE. Without one (RFC 2543 peers, or RFC 4475 badbranch's bare
 * cookie): Call-ID + CSeq number + From tag + top Via sent-by + method.
 */
export function serverTransactionKey(req: SipRequest, method = req.method): string {
  const via = topVia(req);
  const m = method === 'ACK' ? 'INVITE' : method;
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
  const branch = via.branch ?? '';
  if (branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length) return `3261|${branch}|${sentBy}|${m}`;
  const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
  return `2543|${getHeader(req, 'call-id')}|${cseq.seq}|${getTag(getHeader(req, 'from')) ?? ''}|${sentBy}|${m}`;
}

/** Key matching an ACK for a 2xx to the INVITE it acknowledges: Call-ID + CSeq number (the ACK has a new branch). */
export function dialogAckKey(req: SipRequest): string {
  return `${getHeader(req, 'call-id')}|${parseCSeq(getHeader(req, 'cseq') ?? '').seq}`;
}

/**
 * Adds `received` (when sent-by differs from the packet's source address, RFC 3261 §18.2.1)
 * and fills a bare `rport` with the source port (RFC 3581 §4) in the first Via value.
 */
export function stampVia(req: SipRequest, address: string, port: number): void {
  const header = req.headers.find((h) => h.name.toLowerCase() === 'via' || h.name.toLowerCase() === 'v');
  if (header === undefined) return;
  const values = splitTopLevel(header.value);
  const via = parseVia(values[0]!)[0]!;
  const parts = splitTopLevel(values[0]!, ';');
  const kept = parts.slice(1).filter((p) => {
    const name = p.split('=')[0]!.trim().toLowerCase();
    return name !== 'received' && name !== 'rport';
  });
  if (via.host.replace(/^\[|\]$/g, '') !== address) kept.push(`received=${address}`);
  if (via.rport !== undefined) kept.push(`rport=${port}`);
  values[0] = [parts[0]!, ...kept].join(';');
  header.value = values.join(', ');
}

/** Where a UDP response goes (RFC 3261 §18.2.2 with RFC 3581): received/rport, else sent-by. */
export function udpResponseTarget(req: SipRequest): { address: string; port: number } {
  const via = topVia(req);
  return {
    address: via.received ?? via.host.replace(/^\[|\]$/g, ''),
    port: typeof via.rport === 'number' ? via.rport : (via.port ?? 5060),
  };
}
