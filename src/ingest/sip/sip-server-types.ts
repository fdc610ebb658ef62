import type { SipHeader, SipRequest } from './sip-types.js';

/** pino-compatible logger subset. */
export interface SipLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** RFC 3261 §17 timer bases in ms (T1 RTT estimate, T2 max retransmit interval, T4 network lifetime). */
export interface SipTimers {
  t1: number;
  t2: number;
  t4: number;
}

/** Standard values (RFC 3261 Table 4). */
export const DEFAULT_TIMERS: SipTimers = { t1: 500, t2: 4000, t4: 5000 };

/** Where a request came from and arrived. */
export interface RequestContext {
  transport: 'udp' | 'tcp';
  remote: { address: string; port: number };
  local: { address: string; port: number };
}

/** The application's answer to a request. */
export interface ResponseSpec {
  status: number;
  reason?: string;
  headers?: SipHeader[] | Record<string, string>;
  body?: Buffer | string;
  contentType?: string;
}

/** How responses for one request are sent; `reliable` is true for TCP. */
export interface ResponseChannel {
  send(buf: Buffer): void;
  reliable: boolean;
}

/** A confirmed-or-not INVITE dialog, reported when no ACK came for our 2xx. */
export interface DialogInfo {
  callId: string;
  cseq: number;
  fromTag?: string;
  toTag: string;
  request: SipRequest;
  context: RequestContext;
}

/** The transaction user: the application behind the SIP server. */
export interface TransactionUser {
  /** Final response for a request (ACKs for 2xx are delivered too; their result is ignored). */
  onRequest(req: SipRequest, ctx: RequestContext): Promise<ResponseSpec | void> | ResponseSpec | void;
  /** A CANCEL terminated this pending INVITE (already answered 487). */
  onCancel?(invite: SipRequest, ctx: RequestContext): void;
  /** No ACK arrived within 64*T1 for the 2xx to this INVITE. */
  onAckTimeout?(dialog: DialogInfo): void;
}
