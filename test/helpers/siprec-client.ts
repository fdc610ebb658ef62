import dgram from 'node:dgram';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { getHeader, parseSipMessage, SipStreamFramer, type SipResponse } from '../../src/ingest/sip/index.js';

/** One m= line the test SRC offers. */
export interface OfferedStream {
  label: string;
  /** RTP payload types offered, in preference order (0 PCMU, 8 PCMA, 9 G.722, 101 telephone-event). */
  payloadTypes?: number[];
  direction?: 'sendonly' | 'inactive';
}

/** Participant of the recorded call for the metadata. */
export interface Participant {
  aor: string;
  name?: string;
  /** Labels of the streams this participant sends. */
  sends: string[];
}

const RTPMAP: Record<number, string> = { 0: 'PCMU/8000', 8: 'PCMA/8000', 9: 'G722/8000', 18: 'G729/8000', 101: 'telephone-event/8000' };

/** An SDP offer like an SBC's: one sendonly audio m= line per party, each with its label. */
export function buildOffer(streams: OfferedStream[], sessionVersion = 1): string {
  const lines = ['v=0', `o=SBC 1234 ${sessionVersion} IN IP4 127.0.0.1`, 's=SIPREC', 'c=IN IP4 127.0.0.1', 't=0 0'];
  streams.forEach((s, i) => {
    const pts = s.payloadTypes ?? [0, 8, 101];
    lines.push(`m=audio ${40000 + i * 2} RTP/AVP ${pts.join(' ')}`);
    for (const pt of pts) lines.push(`a=rtpmap:${pt} ${RTPMAP[pt]}`);
    if (pts.includes(101)) lines.push('a=fmtp:101 0-15');
    lines.push(`a=label:${s.label}`, `a=${s.direction ?? 'sendonly'}`);
  });
  return lines.join('\r\n') + '\r\n';
}

/** RFC 7865 metadata naming the participants and which stream each sends. */
export function buildMetadata(participants: Participant[], opts: { sipSessionId?: string; labels: string[] }): string {
  const streams = opts.labels.map((l) => `<stream id="st${l}" session_id="sess1"><label>${l}</label></stream>`).join('');
  const parts = participants
    .map((p, i) => `<participant id="p${i}"><nameID aor="${p.aor}">${p.name ? `<name>${p.name}</name>` : ''}</nameID></participant>`)
    .join('');
  const assoc = participants
    .map((p, i) => `<participantstreamassoc id="a${i}" participant_id="p${i}">${p.sends.map((l) => `<send>st${l}</send>`).join('')}</participantstreamassoc>`)
    .join('');
  const sessionId = opts.sipSessionId ? `<sipSessionID>${opts.sipSessionId};remote=00000000000000000000000000000000</sipSessionID>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><session session_id="sess1">${sessionId}</session>${parts}${streams}${assoc}</recording>`;
}

/** Result of an INVITE transaction. */
export interface InviteResult {
  status: number;
  response: SipResponse;
  /** Where to send RTP for each offered m= line (port 0 when rejected). */
  rtpPorts: number[];
  answerSdp: string;
}

function cseqOf(r: SipResponse): { seq: number; method: string } {
  const [seq, method] = (getHeader(r, 'cseq') ?? '').trim().split(/\s+/);
  return { seq: Number(seq), method: (method ?? '').toUpperCase() };
}

/** The body of a SIPREC INVITE: SDP alone, or SDP + metadata as multipart/mixed. */
function inviteBody(sdp: string, metadata?: string): { body: Buffer; contentType: string } {
  const boundary = 'telefonie-boundary';
  const body = metadata
    ? Buffer.from(
        `--${boundary}\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--${boundary}\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n${metadata}\r\n--${boundary}--\r\n`,
      )
    : Buffer.from(sdp);
  return { body, contentType: metadata ? `multipart/mixed;boundary=${boundary}` : 'application/sdp' };
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/**
 * A minimal SIPREC client (SRC) for tests: builds INVITE/ACK/BYE by hand over UDP or TCP,
 * answers digest challenges, and reads responses with the production parser.
 */
export class SiprecClient {
  private readonly callId = `${randomBytes(8).toString('hex')}@test`;
  private readonly fromTag = randomBytes(4).toString('hex');
  private toTag?: string;
  private cseq = 0;
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private framer = new SipStreamFramer();
  private waiters: Array<{ match?: (r: SipResponse) => boolean; resolve: (r: SipResponse) => void }> = [];
  /** Every final response received, in arrival order (challenges, retransmitted answers included). */
  readonly finalResponses: SipResponse[] = [];
  /** Every provisional (1xx) response received. */
  readonly provisionalResponses: SipResponse[] = [];
  localPort = 0;

  constructor(
    private readonly transport: 'udp' | 'tcp',
    private readonly server: { host: string; port: number },
    private readonly user: string,
    private readonly credentials?: { username: string; password: string },
  ) {}

  get sipCallId(): string {
    return this.callId;
  }

  async connect(): Promise<void> {
    if (this.transport === 'udp') {
      this.udp = dgram.createSocket('udp4');
      this.udp.on('message', (msg) => this.onMessage(msg));
      await new Promise<void>((r) => this.udp!.bind(0, '127.0.0.1', () => r()));
      this.localPort = this.udp.address().port;
    } else {
      this.tcp = net.connect(this.server.port, this.server.host);
      await new Promise<void>((resolve, reject) => {
        this.tcp!.once('connect', resolve);
        this.tcp!.once('error', reject);
      });
      this.localPort = this.tcp.localPort!;
      this.tcp.on('data', (chunk) => {
        for (const ev of this.framer.push(chunk)) if (ev.type === 'message') this.onMessage(ev.data);
      });
    }
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
  }

  private onMessage(buf: Buffer): void {
    let msg;
    try {
      msg = parseSipMessage(buf);
    } catch {
      return;
    }
    if (!('status' in msg)) return;
    if (msg.status < 200) {
      this.provisionalResponses.push(msg);
      return;
    }
    this.finalResponses.push(msg);
    // The first waiter this response is for (waiters without a matcher take any response, in order).
    const i = this.waiters.findIndex((w) => w.match === undefined || w.match(msg));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
  }

  private send(text: string | Buffer): void {
    const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
    if (this.udp) this.udp.send(buf, this.server.port, this.server.host);
    else this.tcp!.write(buf);
  }

  private nextResponse(timeoutMs = 10_000, match?: (r: SipResponse) => boolean): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (r: SipResponse) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error('no SIP response'));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for the next final response to the request with this CSeq number and method. */
  waitForResponse(cseq: number, method: string, timeoutMs = 10_000): Promise<SipResponse> {
    return this.nextResponse(timeoutMs, (r) => cseqOf(r).seq === cseq && cseqOf(r).method === method);
  }

  private request(method: string, opts: { body?: Buffer; contentType?: string; extraHeaders?: string[]; cseq?: number; branch?: string }): Buffer {
    const seq = opts.cseq ?? ++this.cseq;
    const branch = opts.branch ?? `z9hG4bK${randomBytes(6).toString('hex')}`;
    const uri = `sip:${this.user}@${this.server.host}:${this.server.port}`;
    const body = opts.body ?? Buffer.alloc(0);
    const head = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/${this.transport.toUpperCase()} 127.0.0.1:${this.localPort};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:srs-client@127.0.0.1>;tag=${this.fromTag}`,
      `To: <${uri}>${this.toTag ? `;tag=${this.toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${seq} ${method}`,
      `Contact: <sip:srs-client@127.0.0.1:${this.localPort};transport=${this.transport}>`,
      ...(opts.extraHeaders ?? []),
      ...(opts.contentType ? [`Content-Type: ${opts.contentType}`] : []),
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n');
    return Buffer.concat([Buffer.from(head), body]);
  }

  /** Sends an INVITE (SDP + metadata as multipart/mixed), answers a digest challenge once, ACKs the final response. */
  async invite(sdp: string, metadata?: string, opts: { requireSiprec?: boolean } = {}): Promise<InviteResult> {
    const { body, contentType } = inviteBody(sdp, metadata);
    const base = [...(opts.requireSiprec === false ? [] : ['Require: siprec'])];
    let auth: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const cseq = ++this.cseq;
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      const pending = this.waitForResponse(cseq, 'INVITE');
      this.send(this.request('INVITE', { body, contentType, extraHeaders: [...base, ...auth], cseq, branch }));
      const response = await pending;
      this.ack(response, cseq, branch);
      if (response.status === 401 && this.credentials && attempt === 0) {
        auth = [`Authorization: ${this.digest(getHeader(response, 'www-authenticate')!, 'INVITE')}`];
        continue;
      }
      if (response.status === 200) this.toTag = /tag=([^;>\s]+)/.exec(getHeader(response, 'to') ?? '')?.[1];
      const answerSdp = response.body.toString();
      const rtpPorts = [...answerSdp.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
      return { status: response.status, response, rtpPorts, answerSdp };
    }
    throw new Error('unreachable');
  }

  /** Sends a re-INVITE with a new SDP (and optional metadata), ACKs, returns the answer. */
  async reinvite(sdp: string): Promise<InviteResult> {
    const cseq = ++this.cseq;
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const pending = this.waitForResponse(cseq, 'INVITE');
    this.send(this.request('INVITE', { body: Buffer.from(sdp), contentType: 'application/sdp', cseq, branch }));
    const response = await pending;
    this.ack(response, cseq, branch);
    const answerSdp = response.body.toString();
    return { status: response.status, response, rtpPorts: [...answerSdp.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1])), answerSdp };
  }

  /** Ends the recording session. */
  async bye(): Promise<number> {
    return (await this.sendRequest('BYE')).status;
  }

  /** Sends an OPTIONS keep-alive. */
  async options(): Promise<SipResponse> {
    return this.sendRequest('OPTIONS');
  }

  /** Raw bytes to the server (for malformed-input tests). */
  sendRaw(buf: Buffer): void {
    this.send(buf);
  }

  /**
   * Builds an initial INVITE without sending it (to send it several times, or raw), with a
   * new CSeq number and branch: send it with sendRaw, wait with waitForResponse, ACK with acknowledge.
   */
  buildInvite(sdp: string, metadata?: string, opts: { extraHeaders?: string[]; body?: Buffer; contentType?: string } = {}): { bytes: Buffer; cseq: number; branch: string } {
    const built = inviteBody(sdp, metadata);
    const cseq = ++this.cseq;
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const bytes = this.request('INVITE', { body: opts.body ?? built.body, contentType: opts.contentType ?? built.contentType, extraHeaders: ['Require: siprec', ...(opts.extraHeaders ?? [])], cseq, branch });
    return { bytes, cseq, branch };
  }

  /** ACKs a final response to an INVITE built with buildInvite (a 2xx also sets the dialog's To tag). */
  acknowledge(response: SipResponse, invite: { cseq: number; branch: string }): void {
    this.ack(response, invite.cseq, invite.branch);
  }

  /** Sends CANCEL for an INVITE (same branch and CSeq number, RFC 3261 §9.1) and returns the CANCEL's response. */
  async cancel(invite: { cseq: number; branch: string }): Promise<SipResponse> {
    const pending = this.waitForResponse(invite.cseq, 'CANCEL');
    this.send(this.request('CANCEL', { cseq: invite.cseq, branch: invite.branch }));
    return pending;
  }

  /** Sends a request of any method in this dialog (e.g. INFO, UPDATE) and returns its final response. */
  async sendRequest(method: string, opts: { body?: Buffer; contentType?: string; extraHeaders?: string[] } = {}): Promise<SipResponse> {
    const cseq = ++this.cseq;
    const pending = this.waitForResponse(cseq, method);
    this.send(this.request(method, { ...opts, cseq }));
    return pending;
  }

  private ack(response: SipResponse, cseq: number, branch: string): void {
    // Non-2xx ACKs reuse the INVITE's branch (same transaction); 2xx ACKs are new transactions.
    const toTag = /tag=([^;>\s]+)/.exec(getHeader(response, 'to') ?? '')?.[1];
    const saved = this.toTag;
    this.toTag = toTag;
    this.send(this.request('ACK', { cseq, branch: response.status >= 300 ? branch : undefined }));
    this.toTag = response.status === 200 ? toTag : saved;
  }

  private digest(challenge: string, method: string): string {
    const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(challenge)?.[1] ?? '';
    const realm = param('realm');
    const nonce = param('nonce');
    const uri = `sip:${this.user}@${this.server.host}:${this.server.port}`;
    const cnonce = randomBytes(4).toString('hex');
    const nc = '00000001';
    const ha1 = md5(`${this.credentials!.username}:${realm}:${this.credentials!.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qop = challenge.includes('qop') ? 'auth' : undefined;
    const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    return `Digest username="${this.credentials!.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5${qop ? `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"` : ''}`;
  }
}
