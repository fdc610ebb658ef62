import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getHeader, parseSipMessage, type SipMessage, type SipRequest } from '../../../src/ingest/sip/sip-message.js';
import { SipServer, type SipServerOptions } from '../../../src/ingest/sip/sip-transport.js';
import type { DialogInfo, ResponseSpec } from '../../../src/ingest/sip/server-transactions.js';
import { RFC4475_DIR } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST = { t1: 40, t2: 160, t4: 100 };

interface Logged { level: string; obj: object; msg?: string }
function memoryLogger(into: Logged[]) {
  return {
    warn: (obj: object, msg?: string) => into.push({ level: 'warn', obj, msg }),
    info: (obj: object, msg?: string) => into.push({ level: 'info', obj, msg }),
    debug: (obj: object, msg?: string) => into.push({ level: 'debug', obj, msg }),
  };
}

class UdpPeer {
  readonly received: SipMessage[] = [];
  readonly raw: Buffer[] = [];
  private constructor(readonly sock: Socket) {
    sock.on('message', (m) => {
      this.raw.push(m);
      this.received.push(parseSipMessage(m));
    });
  }
  static async open(): Promise<UdpPeer> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new UdpPeer(sock);
  }
  get port(): number {
    return this.sock.address().port;
  }
  send(port: number, text: string | Buffer): void {
    this.sock.send(typeof text === 'string' ? Buffer.from(text) : text, port, '127.0.0.1');
  }
  statuses(method?: string): number[] {
    return this.received
      .filter((m) => m.kind === 'response' && (method === undefined || getHeader(m, 'cseq')!.endsWith(method)))
      .map((m) => (m.kind === 'response' ? m.status : 0));
  }
  async waitFor(pred: () => boolean, ms = 2000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timeout; got ${JSON.stringify(this.statuses())}`);
      await sleep(5);
    }
  }
  close(): void {
    this.sock.close();
  }
}

function request(method: string, port: number, o: { branch?: string; cseq?: number; cseqMethod?: string; toTag?: string; callId?: string; body?: string; transport?: string } = {}): string {
  const body = o.body ?? '';
  const lines = [
    `${method} sip:srs@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} 127.0.0.1:${port};branch=${o.branch ?? 'z9hG4bK-1'};rport`,
    'Max-Forwards: 70',
    'From: <sip:src@127.0.0.1>;tag=from1',
    `To: <sip:srs@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? 'call-1@127.0.0.1'}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

const servers: SipServer[] = [];
const peers: UdpPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function startServer(o: Partial<SipServerOptions> & Pick<SipServerOptions, 'onRequest'>): Promise<SipServer> {
  const server = new SipServer({ host: '127.0.0.1', port: 0, timers: FAST, ...o });
  await server.start();
  servers.push(server);
  return server;
}
async function peer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  peers.push(p);
  return p;
}

describe('SipServer over UDP', () => {
  it('answers an INVITE with 100 Trying then 200, retransmits the 200 until the ACK, then stops', async () => {
    const seen: string[] = [];
    const server = await startServer({
      onRequest: async (req): Promise<ResponseSpec | void> => {
        seen.push(req.method);
        if (req.method !== 'INVITE') return;
        await sleep(30);
        return { status: 200, body: 'v=0\r\n', contentType: 'application/sdp' };
      },
    });
    const c = await peer();
    c.send(server.ports.udp!, request('INVITE', c.port));
    await c.waitFor(() => c.statuses().filter((s) => s === 200).length >= 3);
    expect(c.statuses().slice(0, 2)).toEqual([100, 200]);
    const ok = c.received.find((m) => m.kind === 'response' && m.status === 200)!;
    const toTag = /tag=([^;]+)/.exec(getHeader(ok, 'to')!)![1]!;
    expect(getHeader(ok, 'via')).toContain(`rport=${c.port}`);
    expect(ok.body.toString()).toBe('v=0\r\n');
    c.send(server.ports.udp!, request('ACK', c.port, { branch: 'z9hG4bK-ack', toTag }));
    await c.waitFor(() => seen.includes('ACK'));
    const after = c.statuses().length;
    await sleep(FAST.t2 * 3);
    expect(c.statuses().length).toBe(after);
    expect(seen).toEqual(['INVITE', 'ACK']);
  });

  it('replays the same 200 to a retransmitted INVITE without calling the handler again', async () => {
    let calls = 0;
    // T1 of 5 s: any second 200 seen here is the replay, not a timer retransmission.
    const server = await startServer({ timers: { t1: 5000, t2: 5000, t4: 5000 }, onRequest: async () => (calls++, { status: 200, body: 'v=0\r\n' }) });
    const c = await peer();
    const invite = request('INVITE', c.port);
    c.send(server.ports.udp!, invite);
    await c.waitFor(() => c.statuses().includes(200));
    c.send(server.ports.udp!, invite);
    await c.waitFor(() => c.statuses().filter((s) => s === 200).length >= 2);
    const oks = c.raw.filter((b) => b.toString().startsWith('SIP/2.0 200'));
    expect(oks[1]!.equals(oks[0]!)).toBe(true);
    expect(calls).toBe(1);
  });

  it('answers OPTIONS with 200 and the Allow list when the handler has nothing to add', async () => {
    const server = await startServer({ onRequest: () => undefined });
    const c = await peer();
    c.send(server.ports.udp!, request('OPTIONS', c.port, { branch: 'z9hG4bK-opt' }));
    await c.waitFor(() => c.statuses().includes(200));
    expect(c.statuses()).toEqual([200]);
  });

  it('CANCEL: 200 to the CANCEL, 487 to the INVITE, handler told; the late handler answer is dropped', async () => {
    let release: (v: ResponseSpec) => void = () => {};
    const cancelled: string[] = [];
    const seen: string[] = [];
    const server = await startServer({
      onRequest: (req) => {
        seen.push(req.method);
        return new Promise<ResponseSpec>((r) => (release = r));
      },
      onCancel: (invite) => cancelled.push(getHeader(invite, 'call-id')!),
    });
    const c = await peer();
    c.send(server.ports.udp!, request('INVITE', c.port, { branch: 'z9hG4bK-c1' }));
    await c.waitFor(() => c.statuses().includes(100));
    c.send(server.ports.udp!, request('CANCEL', c.port, { branch: 'z9hG4bK-c1' }));
    await c.waitFor(() => c.statuses('CANCEL').includes(200) && c.statuses('INVITE').includes(487));
    expect(cancelled).toEqual(['call-1@127.0.0.1']);
    const r487 = c.received.find((m) => m.kind === 'response' && m.status === 487)!;
    const toTag = /tag=([^;]+)/.exec(getHeader(r487, 'to')!)![1]!;
    c.send(server.ports.udp!, request('ACK', c.port, { branch: 'z9hG4bK-c1', toTag, cseqMethod: 'ACK' }));
    release({ status: 200, body: 'v=0\r\n' });
    await sleep(FAST.t1 * 4);
    expect(c.statuses('INVITE')).not.toContain(200);
    expect(seen).toEqual(['INVITE']); // the ACK for the 487 is absorbed by the transaction
  });

  it('CANCEL without a matching INVITE gets 481', async () => {
    const server = await startServer({ onRequest: () => ({ status: 200 }) });
    const c = await peer();
    c.send(server.ports.udp!, request('CANCEL', c.port, { branch: 'z9hG4bK-nothing' }));
    await c.waitFor(() => c.statuses().includes(481));
  });

  it('reports onAckTimeout when no ACK arrives within 64*T1', async () => {
    const timeouts: DialogInfo[] = [];
    const server = await startServer({ timers: { t1: 10, t2: 40, t4: 50 }, onRequest: () => ({ status: 200 }), onAckTimeout: (d) => timeouts.push(d) });
    const c = await peer();
    c.send(server.ports.udp!, request('INVITE', c.port, { branch: 'z9hG4bK-noack', callId: 'noack@x' }));
    await c.waitFor(() => timeouts.length === 1, 3000);
    expect(timeouts[0]!.callId).toBe('noack@x');
    expect(timeouts[0]!.fromTag).toBe('from1');
    expect(server.transactionCount).toBe(0);
  });

  it('retransmits a non-2xx final response until the ACK, which the transaction absorbs', async () => {
    const seen: string[] = [];
    const server = await startServer({ onRequest: (req) => (seen.push(req.method), { status: 486, reason: 'Busy Here' }) });
    const c = await peer();
    c.send(server.ports.udp!, request('INVITE', c.port, { branch: 'z9hG4bK-busy' }));
    await c.waitFor(() => c.statuses().filter((s) => s === 486).length >= 3);
    const r = c.received.find((m) => m.kind === 'response' && m.status === 486)!;
    const toTag = /tag=([^;]+)/.exec(getHeader(r, 'to')!)![1]!;
    c.send(server.ports.udp!, request('ACK', c.port, { branch: 'z9hG4bK-busy', toTag, cseqMethod: 'ACK' }));
    await sleep(FAST.t1 * 2);
    const count = c.statuses().length;
    await sleep(FAST.t2 * 2);
    expect(c.statuses().length).toBe(count);
    expect(seen).toEqual(['INVITE']);
  });

  it('a handler that throws yields 500, not a crash', async () => {
    const server = await startServer({ onRequest: () => { throw new Error('boom'); } });
    const c = await peer();
    c.send(server.ports.udp!, request('OPTIONS', c.port, { branch: 'z9hG4bK-boom' }));
    await c.waitFor(() => c.statuses().includes(500));
  });

  it('drops garbage with one warning and keeps serving; answers a parseable malformed request with 400', async () => {
    const logs: Logged[] = [];
    const server = await startServer({ logger: memoryLogger(logs), onRequest: () => ({ status: 200 }) });
    const c = await peer();
    c.send(server.ports.udp!, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a, 0x00, 0xff]));
    c.send(server.ports.udp!, readFileSync(join(RFC4475_DIR, 'invalid/mismatch01.dat')));
    c.send(server.ports.udp!, request('OPTIONS', c.port, { branch: 'z9hG4bK-after' }));
    await c.waitFor(() => c.statuses().includes(200) && c.statuses().includes(400));
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);
    expect(logs.find((l) => l.msg?.includes('dropped'))).toBeDefined();
  });

  it('rejects what the UAS does not support before the handler runs (RFC 3261 §8.2)', async () => {
    let calls = 0;
    const server = await startServer({ onRequest: () => (calls++, { status: 200 }) });
    const c = await peer();
    c.send(server.ports.udp!, request('REGISTER', c.port, { branch: 'z9hG4bK-reg' }));
    await c.waitFor(() => c.statuses().includes(405));
    expect(calls).toBe(0);
  });
});

describe('SipServer over TCP', () => {
  async function tcpClient(port: number): Promise<{ sock: TcpSocket; data: () => string; closed: () => boolean }> {
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    let buf = '';
    let closed = false;
    sock.on('data', (d) => (buf += d.toString('latin1')));
    sock.on('close', () => (closed = true));
    sock.on('error', () => {});
    return { sock, data: () => buf, closed: () => closed };
  }
  const until = async (pred: () => boolean, ms = 2000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timeout');
      await sleep(5);
    }
  };

  it('frames a message split across writes and two messages in one write', async () => {
    const methods: string[] = [];
    const server = await startServer({ onRequest: (req: SipRequest) => (methods.push(`${req.method}:${getHeader(req, 'call-id')}`), { status: 200 }) });
    const c = await tcpClient(server.ports.tcp!);
    const one = request('OPTIONS', 5060, { transport: 'TCP', branch: 'z9hG4bK-t1', callId: 'a' });
    c.sock.write(one.slice(0, 25));
    await sleep(20);
    c.sock.write(one.slice(25));
    const two = request('OPTIONS', 5060, { transport: 'TCP', branch: 'z9hG4bK-t2', callId: 'b' }) + request('OPTIONS', 5060, { transport: 'TCP', branch: 'z9hG4bK-t3', callId: 'c' });
    c.sock.write(two);
    await until(() => (c.data().match(/SIP\/2\.0 200/g) ?? []).length === 3);
    expect(methods).toEqual(['OPTIONS:a', 'OPTIONS:b', 'OPTIONS:c']);
    c.sock.destroy();
  });

  it('answers a CRLFCRLF keep-alive ping with a single CRLF', async () => {
    const server = await startServer({ onRequest: () => ({ status: 200 }) });
    const c = await tcpClient(server.ports.tcp!);
    c.sock.write('\r\n\r\n');
    await until(() => c.data() === '\r\n');
    c.sock.destroy();
  });

  it('closes a connection that sends 64 KB without a header end', async () => {
    const logs: Logged[] = [];
    const server = await startServer({ logger: memoryLogger(logs), onRequest: () => ({ status: 200 }) });
    const c = await tcpClient(server.ports.tcp!);
    c.sock.write(Buffer.alloc(70 * 1024, 0x41));
    await until(() => c.closed());
    expect(logs.some((l) => l.level === 'warn' && (l.obj as { code?: string }).code === 'NO_HEADER_END')).toBe(true);
  });
});
