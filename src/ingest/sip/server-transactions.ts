import { getTag } from './sip-address.js';
import { parseCSeq } from './sip-fields.js';
import { getHeader } from './sip-headers.js';
import { serializeSipMessage } from './sip-message.js';
import { buildResponse, generateTag } from './sip-response.js';
import { precheckRequest, type PrecheckOptions } from './request-precheck.js';
import { dialogAckKey, serverTransactionKey } from './transaction-keys.js';
import type { SipHeader, SipRequest } from './sip-types.js';
import { DEFAULT_TIMERS, type DialogInfo, type RequestContext, type ResponseChannel, type ResponseSpec, type SipLogger, type SipTimers, type TransactionUser } from './sip-server-types.js';

export * from './sip-server-types.js';

/** Transaction-layer settings. */
export interface TransactionOptions {
  timers?: Partial<SipTimers>;
  logger: SipLogger;
  /** RFC 3261 §8.2 checks before the application sees a request; false disables them. */
  precheck?: PrecheckOptions | false;
  /** Added to every response (e.g. Server). */
  extraHeaders?: SipHeader[];
  /** Cap on live transactions; beyond it new requests get 503 (flood protection). */
  maxTransactions?: number;
}

interface Tx {
  key: string;
  invite: boolean;
  req: SipRequest;
  ctx: RequestContext;
  channel: ResponseChannel;
  state: 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'acked';
  toTag: string;
  last?: Buffer;
  timers: NodeJS.Timeout[];
}

/** UAS server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state for 2xx). */
export class ServerTransactions {
  private readonly txs = new Map<string, Tx>();
  private readonly accepted = new Map<string, Tx>();
  private readonly t: SipTimers;
  private closed = false;

  constructor(
    private readonly tu: TransactionUser,
    private readonly opts: TransactionOptions,
  ) {
    this.t = { ...DEFAULT_TIMERS, ...opts.timers };
  }

  /** Live transactions (for tests and metrics). */
  get size(): number {
    return this.txs.size;
  }

  /** Stops every timer; pending handler results are then ignored. */
  close(): void {
    this.closed = true;
    for (const tx of this.txs.values()) this.clear(tx);
    this.txs.clear();
    this.accepted.clear();
  }

  /** Entry point for every parsed request. */
  handleRequest(req: SipRequest, ctx: RequestContext, channel: ResponseChannel): void {
    if (req.method === 'ACK') return this.onAck(req, ctx);
    const key = serverTransactionKey(req);
    const existing = this.txs.get(key);
    if (existing !== undefined) {
      // Retransmission: replay the last response, never call the application again.
      this.opts.logger.debug({ key, method: req.method }, 'request retransmission absorbed');
      if (existing.last !== undefined) this.send(channel, existing.last);
      return;
    }
    if (this.txs.size >= (this.opts.maxTransactions ?? 100_000)) {
      this.send(channel, serializeSipMessage(buildResponse(req, 503, 'Service Unavailable', { headers: { 'Retry-After': '5' } })));
      return;
    }
    const tx: Tx = { key, invite: req.method === 'INVITE', req, ctx, channel, state: 'proceeding', toTag: getTag(getHeader(req, 'to')) ?? generateTag(), timers: [] };
    this.txs.set(key, tx);
    if (req.method === 'CANCEL') return this.onCancel(tx);
    const rejection = this.opts.precheck === false ? undefined : precheckRequest(req, this.opts.precheck);
    if (rejection !== undefined) return this.finalize(tx, rejection);
    let result: ReturnType<TransactionUser['onRequest']>;
    try {
      result = this.tu.onRequest(req, ctx);
    } catch (err) {
      return this.fail(tx, err);
    }
    if (isThenable(result)) {
      // RFC 3261 §17.2.1: an INVITE the TU will not answer at once gets 100 Trying now.
      if (tx.invite) this.respond(tx, 100, 'Trying');
      result.then((spec) => this.finalize(tx, spec), (err: unknown) => this.fail(tx, err));
    } else this.finalize(tx, result);
  }

  private onCancel(tx: Tx): void {
    const invite = this.txs.get(serverTransactionKey(tx.req, 'INVITE'));
    if (invite === undefined || !invite.invite) return this.finalize(tx, { status: 481 });
    this.finalize(tx, { status: 200 });
    if (invite.state !== 'proceeding') return; // already answered: CANCEL has no effect (§9.2)
    this.finalize(invite, { status: 487, reason: 'Request Terminated' });
    try {
      this.tu.onCancel?.(invite.req, tx.ctx);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'onCancel handler threw');
    }
  }

  private onAck(ack: SipRequest, ctx: RequestContext): void {
    const tx = this.txs.get(serverTransactionKey(ack, 'ACK'));
    if (tx !== undefined && tx.invite && (tx.state === 'completed' || tx.state === 'confirmed')) {
      // ACK for our non-2xx: absorbed by the transaction (Timer I keeps absorbing copies).
      if (tx.state === 'completed') {
        this.clear(tx);
        tx.state = 'confirmed';
        this.later(tx, tx.channel.reliable ? 0 : this.t.t4, () => this.drop(tx));
      }
      return;
    }
    const dk = dialogAckKey(ack);
    const acceptedTx = this.accepted.get(dk);
    if (acceptedTx?.state === 'acked') return; // duplicate ACK
    if (acceptedTx !== undefined) {
      acceptedTx.state = 'acked';
      for (const t of acceptedTx.timers.splice(1)) clearTimeout(t); // stop 2xx retransmissions, keep the Timer L cleanup
    } else this.opts.logger.debug({ callId: getHeader(ack, 'call-id') }, 'ACK without matching transaction');
    try {
      const r = this.tu.onRequest(ack, ctx);
      if (isThenable(r)) r.then(undefined, (err: unknown) => this.opts.logger.warn({ err: String(err) }, 'ACK handler failed'));
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'ACK handler threw');
    }
  }

  private fail(tx: Tx, err: unknown): void {
    this.opts.logger.warn({ method: tx.req.method, err: String(err) }, 'request handler failed: answering 500');
    this.finalize(tx, { status: 500 });
  }

  private finalize(tx: Tx, spec: ResponseSpec | void): void {
    if (this.closed) return;
    if (tx.state !== 'proceeding') {
      this.opts.logger.debug({ key: tx.key, status: spec?.status }, 'late response ignored (transaction already answered)');
      return;
    }
    let s = spec;
    if (s === undefined) {
      if (tx.req.method === 'OPTIONS') s = { status: 200 };
      else {
        this.opts.logger.warn({ method: tx.req.method }, 'handler returned no response: answering 500');
        s = { status: 500 };
      }
    }
    if (!Number.isInteger(s.status) || s.status < 200 || s.status > 699) {
      this.opts.logger.warn({ status: s.status }, 'handler returned a non-final status: answering 500');
      s = { status: 500 };
    }
    const buf = this.respond(tx, s.status, s.reason, s);
    if (!tx.invite) {
      tx.state = 'completed';
      // Timer J: keep replaying the final response to retransmissions for 64*T1 on UDP.
      this.later(tx, tx.channel.reliable ? 0 : 64 * this.t.t1, () => this.drop(tx));
    } else if (s.status < 300) this.accept(tx, buf);
    else {
      tx.state = 'completed';
      if (!tx.channel.reliable) this.retransmit(tx, buf); // Timer G
      this.later(tx, 64 * this.t.t1, () => {
        this.opts.logger.info({ callId: getHeader(tx.req, 'call-id'), status: s.status }, 'no ACK for final response');
        this.drop(tx);
      }); // Timer H
    }
  }

  // 2xx: retransmitted by the UAS core until the ACK (RFC 3261 §13.3.1.4), also on TCP.
  private accept(tx: Tx, buf: Buffer): void {
    tx.state = 'accepted';
    const dk = dialogAckKey(tx.req);
    this.accepted.set(dk, tx);
    this.later(tx, 64 * this.t.t1, () => {
      if (tx.state === 'accepted') {
        this.opts.logger.warn({ callId: getHeader(tx.req, 'call-id') }, 'no ACK for 2xx within 64*T1');
        try {
          this.tu.onAckTimeout?.(this.dialogOf(tx));
        } catch (err) {
          this.opts.logger.warn({ err: String(err) }, 'onAckTimeout handler threw');
        }
      }
      if (this.accepted.get(dk) === tx) this.accepted.delete(dk);
      this.drop(tx);
    });
    this.retransmit(tx, buf);
  }

  private retransmit(tx: Tx, buf: Buffer, interval = this.t.t1): void {
    this.later(tx, interval, () => {
      if (tx.state !== 'accepted' && tx.state !== 'completed') return;
      this.send(tx.channel, buf);
      this.retransmit(tx, buf, Math.min(interval * 2, this.t.t2));
    });
  }

  private respond(tx: Tx, status: number, reason?: string, spec?: ResponseSpec): Buffer {
    const headers = [...(this.opts.extraHeaders ?? []), ...headerList(spec?.headers)];
    const opts = { headers, toTag: tx.toTag, ...(spec?.body !== undefined ? { body: spec.body } : {}), ...(spec?.contentType !== undefined ? { contentType: spec.contentType } : {}) };
    const buf = serializeSipMessage(buildResponse(tx.req, status, reason, opts));
    tx.last = buf;
    this.send(tx.channel, buf);
    return buf;
  }

  private send(channel: ResponseChannel, buf: Buffer): void {
    try {
      channel.send(buf);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'sending a response failed');
    }
  }

  private dialogOf(tx: Tx): DialogInfo {
    const d: DialogInfo = { callId: getHeader(tx.req, 'call-id') ?? '', cseq: parseCSeq(getHeader(tx.req, 'cseq') ?? '').seq, toTag: tx.toTag, request: tx.req, context: tx.ctx };
    const fromTag = getTag(getHeader(tx.req, 'from'));
    if (fromTag !== undefined) d.fromTag = fromTag;
    return d;
  }

  private later(tx: Tx, ms: number, fn: () => void): void {
    const timer = setTimeout(fn, ms);
    timer.unref();
    tx.timers.push(timer);
  }

  private clear(tx: Tx): void {
    for (const t of tx.timers) clearTimeout(t);
    tx.timers = [];
  }

  private drop(tx: Tx): void {
    this.clear(tx);
    if (this.txs.get(tx.key) === tx) this.txs.delete(tx.key);
  }
}

function headerList(h: ResponseSpec['headers']): SipHeader[] {
  if (h === undefined) return [];
  return Array.isArray(h) ? h : Object.entries(h).map(([name, value]) => ({ name, value }));
}

function isThenable<T>(v: unknown): v is PromiseLike<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
