// The ingest benchmark's load generator, run as its own process (IPC with the bench).
//
// It places N SIPREC calls on one SIP UDP socket (INVITE → 100/200 → ACK, BYE → 200, with
// RFC 3261 retransmissions of its own requests), paced at `rate` calls per second, and
// sends both streams of every call from one timer: 20 ms G.711 µ-law packets, each call on
// its own grid (its start time), so the packets of a thousand calls spread over the 20 ms
// like real traffic instead of leaving in one burst. Each stream has its own UDP socket,
// connected to the service's RTP port (a connected socket skips the per-send address
// lookup). A tick that comes late sends every packet that is due (catch-up), so the audio
// timeline always follows the wall clock; how late packets left is reported.
//
// Target "sink" sends the identical packet stream to a counting sink (the baseline)
// without SIP.
//
// Timeline of a run: calls start at `rate`/s; once all are up, all N stay up together for
// `seconds`; then they stop in start order at the same rate, each sending its BYE
// `byeDelayMs` after its last packet.
import dgram from 'node:dgram';
import { buildPacket, PACKET_MS, streamIdentity } from './ingest-signal.js';

/** What the bench asks for. */
export interface LoadRequest {
  target: 'service' | 'sink';
  calls: number;
  seconds: number;
  /** Calls started (and ended) per second. */
  rate: number;
  /** Pause between a call's last RTP packet and its BYE, ms (at least). */
  byeDelayMs: number;
  /**
   * together: every call's media stops at the end of the steady state, then the BYEs go at
   * `rate`/s; paced: calls stop (media and BYE) one after another at `rate`/s, so calls still
   * streaming overlap the finalize work of those that ended.
   */
  teardown: 'together' | 'paced';
  /** Prefix of the call ids (sipSessionID) so runs never collide. */
  runId: string;
  sip?: { host: string; port: number; user: string };
  /** Target "sink": two ports per call (caller, callee). */
  sinkPorts?: number[];
}

/** One call as the bench needs it for verification. */
export interface CallReport {
  index: number;
  sessionId: string;
  /** Packets sent per stream (caller, callee). */
  sent: [number, number];
  /** Date.now() when the BYE left; 0 when none was sent. */
  byeAtMs: number;
  byeStatus: number;
  inviteStatus: number;
  /** INVITE sent → 200 OK received, ms. */
  setupMs: number;
  error?: string;
}

/** Result of one load run. */
export interface LoadResult {
  calls: CallReport[];
  /** Date.now() when the last call was up, and when the steady state (all N up) ended. */
  allUpAtMs: number;
  steadyEndAtMs: number;
  /** How late packets left against their due time, ms. */
  lateP50Ms: number;
  lateP99Ms: number;
  lateMaxMs: number;
  sendErrors: number;
  /** SIP retransmissions this side had to make (INVITE or BYE without a timely answer). */
  sipRetransmits: number;
  /** CPU of this process over the steady state, % of one core. */
  cpuPercent: number;
}

/** Messages to the bench. */
export type LoadMessage = { type: 'phase'; phase: 'all-up' | 'steady-end'; atMs: number; failed: number } | { type: 'done'; result: LoadResult } | { type: 'error'; message: string };

interface Call {
  index: number;
  sessionId: string;
  sipCallId: string;
  fromTag: string;
  toTag: string;
  cseq: number;
  sockets: dgram.Socket[];
  ids: Array<{ ssrc: number; seq0: number; ts0: number }>;
  /** performance.now() of packet 0. */
  mediaT0: number;
  nextFrame: number;
  /** Frames to send (Infinity until the end of the steady state is known). */
  stopFrame: number;
  /** performance.now() before which the BYE must not leave. */
  byeNotBefore: number;
  report: CallReport;
  invite?: Pending;
  bye?: Pending;
  rtpPorts: number[];
}

interface Pending {
  text: Buffer;
  timer: NodeJS.Timeout | null;
  interval: number;
  provisional: boolean;
  sentAt: number;
  resolve: (status: number, body: string, toTag: string) => void;
}

const T1 = 500;
const lateHist = new Uint32Array(10_001); // 1 ms buckets, last one = "10 s or more"
let lateMax = 0;
let sendErrors = 0;
let sipRetransmits = 0;

function recordLate(ms: number): void {
  if (ms > lateMax) lateMax = ms;
  lateHist[Math.min(lateHist.length - 1, Math.max(0, Math.floor(ms)))]++;
}

function latePercentile(p: number): number {
  let total = 0;
  for (const c of lateHist) total += c;
  let seen = 0;
  for (let i = 0; i < lateHist.length; i++) {
    seen += lateHist[i];
    if (seen >= total * p) return i;
  }
  return lateHist.length - 1;
}

function onSocketError(): void {
  sendErrors++;
}

async function udpSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('error', onSocketError);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

function connect(s: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.connect(port, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve())));
}

/** A minimal SIP UAC over one UDP socket: requests with retransmission, responses matched by Call-ID + CSeq. */
class SipUac {
  private readonly socket: dgram.Socket;
  private readonly waiting = new Map<string, Pending>();
  private readonly acked = new Map<string, Buffer>();
  localPort = 0;

  private constructor(socket: dgram.Socket, private readonly server: { host: string; port: number; user: string }) {
    this.socket = socket;
    socket.on('message', (msg) => this.onMessage(msg));
  }

  static async open(server: { host: string; port: number; user: string }): Promise<SipUac> {
    const s = dgram.createSocket('udp4');
    s.on('error', onSocketError);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const uac = new SipUac(s, server);
    uac.localPort = s.address().port;
    return uac;
  }

  close(): void {
    this.socket.close();
  }

  private get uri(): string {
    return `sip:${this.server.user}@${this.server.host}:${this.server.port}`;
  }

  private head(call: Call, method: string, cseq: number, branch: string, extra: string[], bodyLength: number): string {
    return [
      `${method} ${this.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.localPort};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:bench-src@127.0.0.1>;tag=${call.fromTag}`,
      `To: <${this.uri}>${call.toTag ? `;tag=${call.toTag}` : ''}`,
      `Call-ID: ${call.sipCallId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:bench-src@127.0.0.1:${this.localPort};transport=udp>`,
      ...extra,
      `Content-Length: ${bodyLength}`,
      '',
      '',
    ].join('\r\n');
  }

  /** Sends the INVITE and resolves with the final response (status, body, To tag). */
  invite(call: Call, sdp: string, metadata: string): Promise<{ status: number; body: string; toTag: string }> {
    const boundary = 'bench-boundary';
    const body = `--${boundary}\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--${boundary}\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n${metadata}\r\n--${boundary}--\r\n`;
    const cseq = ++call.cseq;
    const head = this.head(call, 'INVITE', cseq, `z9hG4bK${call.fromTag}${call.index}i${cseq}`, ['Require: siprec', `Content-Type: multipart/mixed;boundary=${boundary}`], Buffer.byteLength(body));
    return this.request(call, cseq, 'INVITE', Buffer.from(head + body));
  }

  /** Sends the BYE and resolves with the final response's status. */
  bye(call: Call): Promise<{ status: number }> {
    const cseq = ++call.cseq;
    const text = Buffer.from(this.head(call, 'BYE', cseq, `z9hG4bK${call.fromTag}${call.index}b${cseq}`, [], 0));
    return this.request(call, cseq, 'BYE', text);
  }

  private request(call: Call, cseq: number, method: string, text: Buffer): Promise<{ status: number; body: string; toTag: string }> {
    return new Promise((resolve) => {
      const key = `${call.sipCallId}|${cseq}`;
      const p: Pending = {
        text,
        timer: null,
        interval: T1,
        provisional: false,
        sentAt: performance.now(),
        resolve: (status, body, toTag) => {
          if (p.timer) clearTimeout(p.timer);
          this.waiting.delete(key);
          resolve({ status, body, toTag });
        },
      };
      this.waiting.set(key, p);
      const retransmit = (): void => {
        // Timer A/E: double up to T2 (4 s) until a response (INVITE: until a provisional one); give up after 64*T1.
        if (performance.now() - p.sentAt > 64 * T1) return p.resolve(408, '', '');
        if (!(method === 'INVITE' && p.provisional)) {
          sipRetransmits++;
          this.socket.send(text, this.server.port, this.server.host);
        }
        p.interval = Math.min(p.interval * 2, 4000);
        p.timer = setTimeout(retransmit, p.interval);
      };
      this.socket.send(text, this.server.port, this.server.host);
      p.timer = setTimeout(retransmit, p.interval);
    });
  }

  private onMessage(msg: Buffer): void {
    const text = msg.toString('latin1');
    const status = /^SIP\/2\.0 (\d{3})/.exec(text);
    if (!status) return;
    const code = Number(status[1]);
    const headEnd = text.indexOf('\r\n\r\n');
    const head = headEnd < 0 ? text : text.slice(0, headEnd);
    const callId = /\r\n(?:Call-ID|i):\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? '';
    const cseqMatch = /\r\n(?:CSeq):\s*(\d+)\s+(\w+)/i.exec(head);
    if (!cseqMatch) return;
    const key = `${callId}|${cseqMatch[1]}`;
    const method = cseqMatch[2].toUpperCase();
    if (method === 'INVITE' && code >= 200) {
      // A retransmitted 2xx means our ACK was lost: send it again.
      const ack = this.acked.get(key);
      if (ack) {
        this.socket.send(ack, this.server.port, this.server.host);
        return;
      }
    }
    const p = this.waiting.get(key);
    if (!p) return;
    if (code < 200) {
      p.provisional = true;
      return;
    }
    const toTag = /\r\n(?:To|t):[^\r\n]*;tag=([^;>\s\r\n]+)/i.exec(head)?.[1] ?? '';
    if (method === 'INVITE') this.sendAck(callId, Number(cseqMatch[1]), code, toTag, head);
    p.resolve(code, headEnd < 0 ? '' : text.slice(headEnd + 4), toTag);
  }

  private sendAck(callId: string, cseq: number, status: number, toTag: string, responseHead: string): void {
    // 2xx: a new transaction (new branch); non-2xx: the INVITE's branch (same transaction).
    const via = /\r\n(?:Via|v):\s*SIP\/2\.0\/UDP [^;]+;branch=([^;\r\n]+)/i.exec(responseHead)?.[1] ?? 'z9hG4bKx';
    const branch = status >= 300 ? via : `${via}a`;
    const from = /\r\n(?:From|f):\s*([^\r\n]+)/i.exec(responseHead)?.[1] ?? '';
    const text = Buffer.from(
      [
        `ACK ${this.uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.localPort};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: ${from}`,
        `To: <${this.uri}>${toTag ? `;tag=${toTag}` : ''}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ACK`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    this.acked.set(`${callId}|${cseq}`, text);
    this.socket.send(text, this.server.port, this.server.host);
  }
}

function offerSdp(ports: number[]): string {
  const lines = ['v=0', 'o=BenchSBC 1 1 IN IP4 127.0.0.1', 's=SIPREC', 'c=IN IP4 127.0.0.1', 't=0 0'];
  ports.forEach((port, i) => lines.push(`m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', `a=label:${i + 1}`, 'a=sendonly'));
  return lines.join('\r\n') + '\r\n';
}

function metadataXml(sessionId: string, index: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode>' +
    `<session session_id="s${index}"><sipSessionID>${sessionId};remote=00000000000000000000000000000000</sipSessionID></session>` +
    `<participant id="p0"><nameID aor="sip:caller${index}@bench.example"><name>Caller ${index}</name></nameID></participant>` +
    `<participant id="p1"><nameID aor="sip:callee${index}@bench.example"><name>Callee ${index}</name></nameID></participant>` +
    `<stream id="st1" session_id="s${index}"><label>1</label></stream><stream id="st2" session_id="s${index}"><label>2</label></stream>` +
    '<participantstreamassoc id="a0" participant_id="p0"><send>st1</send></participantstreamassoc>' +
    '<participantstreamassoc id="a1" participant_id="p1"><send>st2</send></participantstreamassoc></recording>'
  );
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function run(req: LoadRequest, send: (m: LoadMessage) => void): Promise<LoadResult> {
  const uac = req.target === 'service' ? await SipUac.open(req.sip!) : null;
  const calls: Call[] = [];
  const active: Call[] = [];
  const pendingSetups: Promise<void>[] = [];
  const intervalMs = 1000 / req.rate;
  let up = 0;
  let failed = 0;

  const setUp = async (call: Call): Promise<void> => {
    try {
      call.sockets = [await udpSocket(), await udpSocket()];
      if (uac) {
        const t0 = performance.now();
        const res = await uac.invite(call, offerSdp(call.sockets.map((s) => s.address().port)), metadataXml(call.sessionId, call.index));
        call.report.inviteStatus = res.status;
        call.report.setupMs = performance.now() - t0;
        if (res.status !== 200) throw new Error(`INVITE answered ${res.status}`);
        call.toTag = res.toTag;
        call.rtpPorts = [...res.body.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
        if (call.rtpPorts.length !== 2 || call.rtpPorts.includes(0)) throw new Error(`answer has ports ${call.rtpPorts.join(',')}`);
      } else {
        call.rtpPorts = [req.sinkPorts![call.index * 2], req.sinkPorts![call.index * 2 + 1]];
      }
      await connect(call.sockets[0], call.rtpPorts[0]);
      await connect(call.sockets[1], call.rtpPorts[1]);
      // Media starts on the next 20 ms of this call's own grid.
      call.mediaT0 = performance.now();
      active.push(call);
      up++;
    } catch (err) {
      call.report.error = (err as Error).message;
      failed++;
      for (const s of call.sockets) s.close();
      call.sockets = [];
    }
  };

  const finish = async (call: Call): Promise<void> => {
    const wait = Math.max(req.byeDelayMs, call.byeNotBefore - performance.now());
    await new Promise((r) => setTimeout(r, wait));
    if (uac) {
      call.report.byeAtMs = Date.now();
      call.report.byeStatus = (await uac.bye(call)).status;
    }
    for (const s of call.sockets) s.close();
  };
  const finishing: Promise<void>[] = [];

  // The media pump: every 5 ms, each active call sends whatever its grid says is due.
  const pump = (): void => {
    const now = performance.now();
    for (let i = 0; i < active.length; i++) {
      const call = active[i];
      const due = Math.min(call.stopFrame, Math.floor((now - call.mediaT0) / PACKET_MS) + 1);
      if (call.nextFrame >= due) continue;
      recordLate(now - (call.mediaT0 + call.nextFrame * PACKET_MS));
      for (; call.nextFrame < due; call.nextFrame++) {
        const k = call.nextFrame;
        call.sockets[0].send(buildPacket(call.index, 0, k, call.ids[0]));
        call.sockets[1].send(buildPacket(call.index, 1, k, call.ids[1]));
      }
      call.report.sent[0] = call.report.sent[1] = call.nextFrame;
      if (call.nextFrame >= call.stopFrame) {
        active[i] = active[active.length - 1];
        active.pop();
        i--;
        finishing.push(finish(call));
      }
    }
  };
  const pumpTimer = setInterval(pump, 5);

  // Paced call setup.
  const tStart = performance.now();
  for (let i = 0; i < req.calls; i++) {
    const wait = tStart + i * intervalMs - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const call: Call = {
      index: i,
      sessionId: `${req.runId}c${i.toString().padStart(5, '0')}`,
      sipCallId: `${req.runId}x${i}x${Math.random().toString(36).slice(2, 10)}@bench`,
      fromTag: Math.random().toString(36).slice(2, 10),
      toTag: '',
      cseq: 0,
      sockets: [],
      ids: [streamIdentity(i, 0), streamIdentity(i, 1)],
      mediaT0: 0,
      nextFrame: 0,
      stopFrame: Infinity,
      byeNotBefore: 0,
      report: { index: i, sessionId: '', sent: [0, 0], byeAtMs: 0, byeStatus: 0, inviteStatus: 0, setupMs: 0 },
      rtpPorts: [],
    };
    call.report.sessionId = call.sessionId;
    calls.push(call);
    pendingSetups.push(setUp(call));
  }
  await Promise.all(pendingSetups);
  const allUpAtMs = Date.now();
  send({ type: 'phase', phase: 'all-up', atMs: allUpAtMs, failed });

  // Steady state: all N up for `seconds`, then the teardown.
  const cpu0 = cpuMs();
  const steadyEnd = performance.now() + req.seconds * 1000;
  const started = calls.filter((c) => c.sockets.length > 0);
  started.forEach((call, n) => {
    const stopAt = req.teardown === 'paced' ? steadyEnd + n * intervalMs : steadyEnd;
    call.stopFrame = Math.ceil((stopAt - call.mediaT0) / PACKET_MS);
    call.byeNotBefore = steadyEnd + req.byeDelayMs + n * intervalMs;
  });
  await new Promise((r) => setTimeout(r, Math.max(0, steadyEnd - performance.now())));
  const steadyEndAtMs = Date.now();
  const cpuPercent = ((cpuMs() - cpu0) / (req.seconds * 1000)) * 100;
  send({ type: 'phase', phase: 'steady-end', atMs: steadyEndAtMs, failed });
  while (active.length > 0) await new Promise((r) => setTimeout(r, 50));
  clearInterval(pumpTimer);
  await Promise.all(finishing);
  uac?.close();
  return {
    calls: calls.map((c) => c.report),
    allUpAtMs,
    steadyEndAtMs,
    lateP50Ms: latePercentile(0.5),
    lateP99Ms: latePercentile(0.99),
    lateMaxMs: lateMax,
    sendErrors,
    sipRetransmits,
    cpuPercent,
  };
}

process.on('message', (msg: { cmd: 'run'; request: LoadRequest }) => {
  if (msg.cmd !== 'run') return;
  const send = (m: LoadMessage) => process.send!(m);
  run(msg.request, send).then(
    (result) => send({ type: 'done', result }),
    (err: Error) => send({ type: 'error', message: err.stack ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
