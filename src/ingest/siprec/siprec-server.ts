import type { Logger } from '../../logger.js';
import type { LiveCallsService } from '../../calls/live-calls.service.js';
import type { PortAllocator } from '../rtp/port-allocator.js';
import {
  getHeader,
  getTag,
  MetadataError,
  negotiateOffer,
  NoAcceptableCodecError,
  parseSiprecInvite,
  SdpError,
  SipServer,
  type DialogInfo,
  type RequestContext,
  type ResponseSpec,
  type SipRequest,
} from '../sip/index.js';
import { recordedCallId } from './call-identity.js';
import { callRateOf, channelMapOf, SiprecSession } from './siprec-session.js';
import type { TrunkGate } from './trunk-gate.js';
import type { SipTrunk } from '../../trunks/trunk.js';

export interface SiprecServerOptions {
  host: string;
  port: number;
  /** Address for SDP and Contact; default: the address each INVITE arrived on. */
  advertisedAddress?: string;
  rtpTimeoutMs: number;
  rtpHoldTimeoutMs: number;
  gate: TrunkGate;
  liveCalls: LiveCallsService;
  ports: PortAllocator;
  log: Logger;
}

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE';

function dialogKey(req: SipRequest): string {
  return `${getHeader(req, 'call-id') ?? ''}|${getTag(getHeader(req, 'from')) ?? ''}`;
}

/**
 * Metadata with DOCTYPE/ENTITY declarations (an entity bomb) or over the size limit is an
 * attack or a broken sender, not a vendor quirk: the INVITE is refused (400) rather than
 * recorded with the metadata ignored, as unreadable metadata is. Codes from MetadataError.
 */
function isHostileMetadata(metadataError: string): boolean {
  return /^(DTD_FORBIDDEN|TOO_LARGE):/.test(metadataError);
}

function reject(status: number, reason: string, warning?: string): ResponseSpec {
  return { status, reason, headers: warning ? { Warning: `399 telefonie "${warning.replace(/"/g, "'")}"` } : undefined };
}

/**
 * The SIPREC recording server (RFC 7866, SRS side): accepts recording sessions from
 * registered trunks, answers each offered stream receive-only, records the call while
 * the dialog lasts and stores it when it ends (BYE, CANCEL, a missing ACK, or media that
 * stopped for longer than the RTP timeout).
 */
export class SiprecServer {
  private readonly sessions = new Map<string, SiprecSession>();
  /** INVITEs being set up, so a CANCEL or a retransmission finds them. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly sip: SipServer;
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly opts: SiprecServerOptions) {
    this.sip = new SipServer({
      host: opts.host,
      port: opts.port,
      logger: opts.log,
      serverName: 'telefonie-recording',
      onRequest: (req, ctx) => this.onRequest(req, ctx),
      onCancel: (invite) => void this.end(dialogKey(invite), 'cancelled'),
      onAckTimeout: (dialog: DialogInfo) => void this.end(dialogKey(dialog.request), 'no ACK'),
    });
  }

  /** Bound SIP ports (UDP and TCP). */
  get ports() {
    return this.sip.ports;
  }

  /** Number of live recording sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<void> {
    await this.sip.start();
    // One sweep for all sessions: a call whose media stopped ends without a BYE.
    this.sweeper = setInterval(() => this.sweepSilent(), 1000);
    this.sweeper.unref();
  }

  /** Stops taking calls and ends every live session, storing what each recorded. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sip.stop();
    await Promise.allSettled([...this.pending.values()]);
    await Promise.allSettled([...this.sessions.keys()].map((key) => this.end(key, 'shutdown')));
  }

  private async onRequest(req: SipRequest, ctx: RequestContext): Promise<ResponseSpec | void> {
    switch (req.method) {
      case 'OPTIONS':
        return { status: 200, headers: { Allow: ALLOW, Accept: 'application/sdp, application/rs-metadata+xml, multipart/mixed', Supported: 'siprec' } };
      case 'INVITE':
        return getTag(getHeader(req, 'to')) ? this.onReinvite(req) : this.onInvite(req, ctx);
      case 'UPDATE':
        return this.sessions.has(dialogKey(req)) ? (req.body.length ? this.onReinvite(req) : { status: 200 }) : reject(481, 'Call/Transaction Does Not Exist');
      case 'BYE': {
        const key = dialogKey(req);
        if (!this.sessions.has(key)) return reject(481, 'Call/Transaction Does Not Exist');
        void this.end(key, 'BYE');
        return { status: 200 };
      }
      case 'INFO':
        return this.sessions.has(dialogKey(req)) ? { status: 200 } : reject(481, 'Call/Transaction Does Not Exist');
      case 'ACK':
        return;
      default:
        return reject(405, 'Method Not Allowed');
    }
  }

  private async onInvite(req: SipRequest, ctx: RequestContext): Promise<ResponseSpec> {
    const key = dialogKey(req);
    const gate = await this.opts.gate.check(req, ctx);
    if (!gate.ok) {
      this.opts.log.warn({ from: ctx.remote.address, uri: req.uri, reason: gate.reason, status: gate.response.status }, 'SIPREC INVITE refused');
      return gate.response;
    }
    let body;
    try {
      body = parseSiprecInvite(req);
    } catch (err) {
      return reject(400, 'Bad Request', `unreadable body: ${(err as Error).message}`);
    }
    if (!body.isSiprec) return reject(488, 'Not Acceptable Here', 'not a SIPREC recording session (no Require: siprec, no rs-metadata)');
    if (!body.sdp) return reject(488, 'Not Acceptable Here', 'no SDP offer');
    if (body.metadataError) {
      if (isHostileMetadata(body.metadataError)) return reject(400, 'Bad Request', `recording metadata refused: ${body.metadataError}`);
      this.opts.log.warn({ callId: getHeader(req, 'call-id'), err: body.metadataError }, 'recording metadata unusable; channels follow m= line order');
    }

    const localIp = this.opts.advertisedAddress ?? (ctx.local.address && ctx.local.address !== '0.0.0.0' && ctx.local.address !== '::' ? ctx.local.address : '127.0.0.1');
    let offer;
    try {
      offer = negotiateOffer(body.sdp, { allocatePort: () => this.opts.ports.allocate(), localIp });
    } catch (err) {
      if (err instanceof NoAcceptableCodecError || err instanceof SdpError || err instanceof MetadataError) return reject(488, 'Not Acceptable Here', (err as Error).message);
      if ((err as { code?: string }).code === 'RTP_PORTS_EXHAUSTED') return reject(503, 'Service Unavailable', 'no free RTP ports');
      throw err;
    }

    const setup = this.setUp(req, key, gate.trunk, body.metadata, offer);
    this.pending.set(key, setup.then(() => undefined, () => undefined));
    try {
      await setup;
    } catch (err) {
      this.opts.log.error({ err, callId: getHeader(req, 'call-id') }, 'could not start recording session');
      return reject(500, 'Server Internal Error');
    } finally {
      this.pending.delete(key);
    }
    return {
      status: 200,
      body: offer.answerSdp,
      contentType: 'application/sdp',
      headers: { Contact: `<sip:${localIp}:${ctx.local.port};transport=${ctx.transport}>`, Allow: ALLOW, Supported: 'siprec' },
    };
  }

  private async setUp(req: SipRequest, key: string, trunk: SipTrunk, metadata: SiprecMetadata, offer: ReturnType<typeof negotiateOffer>): Promise<void> {
    const { streamChannels, channelMap } = channelMapOf(metadata, offer.streams);
    const handle = await this.opts.liveCalls.open(
      {
        accountId: trunk.accountId,
        callId: recordedCallId(req, metadata),
        ingest: 'siprec',
        trunkId: trunk.id,
        from: channelMap.find((c) => c.channel === 1)?.participant.aor ?? null,
        to: channelMap.find((c) => c.channel === 2)?.participant.aor ?? null,
        details: { sipCallId: getHeader(req, 'call-id'), channelMap },
      },
      callRateOf(offer.streams),
      channelMap,
    );
    const session = new SiprecSession(key, handle, offer, metadata, { ports: this.opts.ports, rtpHost: this.opts.host, log: this.opts.log });
    try {
      await session.openMedia(streamChannels);
    } catch (err) {
      await this.opts.liveCalls.end(handle, 'media setup failed');
      throw err;
    }
    this.sessions.set(key, session);
  }

  private async onReinvite(req: SipRequest): Promise<ResponseSpec> {
    const session = this.sessions.get(dialogKey(req));
    if (!session) return reject(481, 'Call/Transaction Does Not Exist');
    let body;
    try {
      body = parseSiprecInvite(req);
    } catch (err) {
      return reject(400, 'Bad Request', (err as Error).message);
    }
    if (body.metadataError && isHostileMetadata(body.metadataError)) return reject(400, 'Bad Request', `recording metadata refused: ${body.metadataError}`);
    // An offerless re-INVITE (or a metadata-only UPDATE): answer with the current SDP.
    if (!body.sdp) return { status: 200, body: session.offer.answerSdp, contentType: 'application/sdp' };
    try {
      const answer = await session.reoffer(body.sdp, body.metadata);
      return { status: 200, body: answer, contentType: 'application/sdp' };
    } catch (err) {
      if (err instanceof NoAcceptableCodecError || err instanceof SdpError) return reject(488, 'Not Acceptable Here', err.message);
      throw err;
    }
  }

  /** Ends a session: media flushed, recordings stored, call closed. Safe to call twice. */
  private async end(key: string, reason: string): Promise<void> {
    // A CANCEL (or a missing ACK) can come while the INVITE is still being set up: wait for
    // the set-up, so the session it creates is ended too instead of living on unanswered.
    const setup = this.pending.get(key);
    if (setup) await setup;
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    session.closeMedia();
    await this.opts.liveCalls.end(session.handle, reason);
  }

  private sweepSilent(): void {
    const now = Date.now();
    for (const [key, session] of this.sessions) {
      const limit = session.allOnHold() ? this.opts.rtpHoldTimeoutMs : this.opts.rtpTimeoutMs;
      if (now - session.lastActivityMs() > limit) void this.end(key, 'RTP timeout');
    }
  }
}

type SiprecMetadata = ReturnType<typeof parseSiprecInvite>['metadata'];
