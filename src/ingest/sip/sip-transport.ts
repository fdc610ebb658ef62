import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { rejectionFor, SipParseError } from './sip-errors.js';
import { getHeader } from './sip-headers.js';
import { parseSipMessage, serializeSipMessage } from './sip-message.js';
import { buildResponse } from './sip-response.js';
import { KEEPALIVE_PONG, SipStreamFramer } from './stream-framer.js';
import { stampVia, udpResponseTarget } from './transaction-keys.js';
import { ServerTransactions, type RequestContext, type ResponseChannel, type SipLogger, type SipTimers, type TransactionUser } from './server-transactions.js';
import type { PrecheckOptions } from './request-precheck.js';

/** SIP server settings; port 0 binds an ephemeral port (read it back from `ports`). */
export interface SipServerOptions extends TransactionUser {
  host: string;
  port: number;
  transports?: Array<'udp' | 'tcp'>;
  logger?: SipLogger;
  timers?: Partial<SipTimers>;
  precheck?: PrecheckOptions | false;
  /** Server header value on every response. */
  serverName?: string;
  /** Close TCP connections idle for this long (ms); keep-alive pings count as activity. */
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
}

const NOOP_LOGGER: SipLogger = { warn() {}, info() {}, debug() {} };
const REQUIRED_FOR_400 = ['via', 'from', 'to', 'call-id', 'cseq'];

/** A UAS SIP endpoint on UDP and TCP: parses, answers malformed input, runs server transactions. */
export class SipServer {
  private udp?: UdpSocket;
  private tcp?: TcpServer;
  private readonly sockets = new Set<TcpSocket>();
  private readonly tx: ServerTransactions;
  private readonly log: SipLogger;

  constructor(private readonly opts: SipServerOptions) {
    this.log = opts.logger ?? NOOP_LOGGER;
    this.tx = new ServerTransactions(opts, {
      logger: this.log,
      ...(opts.timers !== undefined ? { timers: opts.timers } : {}),
      ...(opts.precheck !== undefined ? { precheck: opts.precheck } : {}),
      extraHeaders: [{ name: 'Server', value: opts.serverName ?? 'Telefonie Recording' }],
    });
  }

  /** Bound ports per transport (after start). */
  get ports(): { udp?: number; tcp?: number } {
    const out: { udp?: number; tcp?: number } = {};
    if (this.udp) out.udp = this.udp.address().port;
    const addr = this.tcp?.address();
    if (addr && typeof addr === 'object') out.tcp = addr.port;
    return out;
  }

  /** Live server transactions. */
  get transactionCount(): number {
    return this.tx.size;
  }

  /** Binds the configured transports. */
  async start(): Promise<void> {
    const transports = this.opts.transports ?? ['udp', 'tcp'];
    if (transports.includes('udp')) await this.startUdp();
    if (transports.includes('tcp')) await this.startTcp();
  }

  /** Closes sockets and stops every transaction timer. */
  async stop(): Promise<void> {
    this.tx.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all([
      new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve())),
    ]);
    delete this.udp;
    delete this.tcp;
  }

  private startUdp(): Promise<void> {
    const sock = createSocket(isIPv6(this.opts.host) ? 'udp6' : 'udp4');
    this.udp = sock;
    sock.on('message', (msg, rinfo) => this.guard('udp', () => this.onDatagram(sock, msg, rinfo)));
    sock.on('error', (err) => this.log.warn({ err: String(err) }, 'UDP socket error'));
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.opts.port, this.opts.host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
  }

  private startTcp(): Promise<void> {
    const server = createServer((socket) => this.guard('tcp', () => this.onConnection(socket)));
    this.tcp = server;
    server.on('error', (err) => this.log.warn({ err: String(err) }, 'TCP server error'));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private onDatagram(sock: UdpSocket, msg: Buffer, rinfo: RemoteInfo): void {
    if (isOnlyWhitespace(msg)) return; // CRLF keep-alives on UDP carry no request
    const remote = { address: rinfo.address, port: rinfo.port };
    const local = sock.address();
    const reply = (buf: Buffer, address = rinfo.address, port = rinfo.port): void => {
      sock.send(buf, port, address, (err) => err && this.log.debug({ err: String(err) }, 'UDP send failed'));
    };
    const parsed = this.parse(msg, false, 'udp', remote, (b) => reply(b));
    if (parsed === undefined) return;
    stampVia(parsed, rinfo.address, rinfo.port);
    const target = udpResponseTarget(parsed);
    const channel: ResponseChannel = { reliable: false, send: (b) => reply(b, target.address, target.port) };
    const ctx: RequestContext = { transport: 'udp', remote, local: { address: local.address, port: local.port } };
    this.tx.handleRequest(parsed, ctx, channel);
  }

  private onConnection(socket: TcpSocket): void {
    if (this.sockets.size >= (this.opts.maxTcpConnections ?? 10_000)) {
      this.log.warn({ remote: socket.remoteAddress }, 'TCP connection limit reached: refusing');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.tcpIdleTimeoutMs ?? 15 * 60 * 1000, () => socket.destroy());
    const framer = new SipStreamFramer();
    const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    const write = (b: Buffer): void => {
      if (!socket.destroyed) socket.write(b);
    };
    socket.on('error', (err) => this.log.debug({ err: String(err), remote }, 'TCP socket error'));
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) =>
      this.guard('tcp', () => {
        for (const ev of framer.push(chunk)) {
          if (ev.type === 'ping') write(KEEPALIVE_PONG);
          else if (ev.type === 'error') {
            this.log.warn({ transport: 'tcp', remote, code: ev.error.code }, `unframeable TCP stream closed: ${ev.error.message}`);
            socket.destroy();
          } else {
            const req = this.parse(ev.data, true, 'tcp', remote, write);
            if (req !== undefined) this.tx.handleRequest(req, { transport: 'tcp', remote, local }, { reliable: true, send: write });
          }
        }
      }),
    );
  }

  // Parses one message; answers or drops what is malformed, drops responses (we are UAS only).
  private parse(buf: Buffer, stream: boolean, transport: 'udp' | 'tcp', remote: object, send: (b: Buffer) => void) {
    try {
      const msg = parseSipMessage(buf, { stream });
      if (msg.kind === 'response') {
        this.log.debug({ transport, remote, status: msg.status }, 'response received by a UAS-only server: dropped');
        return undefined;
      }
      return msg;
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      const p = err.partial;
      if (p?.kind === 'request' && p.method !== 'ACK' && REQUIRED_FOR_400.every((h) => getHeader(p, h) !== undefined)) {
        const { status, reason } = rejectionFor(err);
        send(serializeSipMessage(buildResponse(p, status, reason)));
        this.log.warn({ transport, remote, code: err.code, status }, `malformed SIP request answered ${status}: ${err.message}`);
      } else {
        this.log.warn({ transport, remote, code: err.code }, `malformed SIP message dropped: ${err.message}`);
      }
      return undefined;
    }
  }

  // Nothing may escape a socket callback: an exception there would crash the process.
  private guard(transport: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn({ transport, err: String(err) }, 'unexpected error while handling SIP input');
    }
  }
}

function isOnlyWhitespace(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09 && b !== 0x00) return false;
  return true;
}
