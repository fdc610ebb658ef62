import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { bindRtpSocket, PortAllocator, type RtpSocket } from '../../../src/ingest/rtp/port-allocator.js';
import { buildRtp, type RtpPacket } from '../../../src/ingest/rtp/rtp-packet.js';
import { RtpReceiver } from '../../../src/ingest/rtp/rtp-receiver.js';

const HOST = '127.0.0.1';

function sender(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => s.bind(0, HOST, () => resolve(s)));
}

function send(s: dgram.Socket, buf: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.send(buf, port, HOST, (err) => (err ? reject(err) : resolve())));
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for datagrams');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rtp(seq: number, ssrc = 0x1111): Buffer {
  return buildRtp({ payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc, payload: Buffer.alloc(160, seq & 0xff) });
}

const rtcpRr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0x11, 0x11]);

describe('RtpReceiver on a real UDP socket', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(opts: Partial<ConstructorParameters<typeof RtpReceiver>[1]> = {}) {
    const rtpSock: RtpSocket = await bindRtpSocket(new PortAllocator(30000, 39998), HOST);
    cleanup.push(() => rtpSock.release());
    const got: Array<{ pkt: RtpPacket; at: number }> = [];
    const warnings: Array<Record<string, unknown>> = [];
    const rx = new RtpReceiver(rtpSock.socket, {
      onPacket: (pkt, at) => got.push({ pkt, at }),
      logger: { warn: (obj) => warnings.push(obj) },
      logIntervalMs: 60_000,
      ...opts,
    });
    cleanup.push(() => rx.stop());
    const a = await sender();
    const b = await sender();
    cleanup.push(
      () => void a.close(),
      () => void b.close(),
    );
    return { rtpSock, rx, got, warnings, a, b };
  }

  it('delivers RTP from the latched source, drops RTCP, malformed and foreign datagrams', async () => {
    const { rtpSock, rx, got, warnings, a, b } = await setup();
    const port = rtpSock.port;
    const before = Date.now();
    for (let seq = 0; seq < 5; seq++) await send(a, rtp(seq), port);
    await send(a, rtcpRr, port);
    await send(a, Buffer.from([0x80, 0, 1]), port); // too short
    await send(a, Buffer.from('hello, this is not RTP at all'), port); // version 1
    for (let seq = 100; seq < 103; seq++) await send(b, rtp(seq, 0x2222), port); // another source
    for (let seq = 5; seq < 10; seq++) await send(a, rtp(seq), port);
    await until(() => rx.stats().datagrams === 16);

    expect(got.map((g) => g.pkt.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got[3]!.pkt.payload.length).toBe(160);
    expect(got[3]!.pkt.payload[0]).toBe(3);
    expect(got.every((g) => g.at >= before && g.at <= Date.now())).toBe(true);
    expect(rx.source).toEqual({ address: HOST, port: a.address().port });
    expect(rx.stats()).toEqual({ datagrams: 16, delivered: 10, rtcp: 1, malformed: 2, foreignSource: 3, relatches: 0 });

    // Rate limited: the first drop logs at once, the rest wait for the interval (or stop()).
    expect(warnings).toHaveLength(1);
    rx.stop();
    expect(warnings).toHaveLength(2);
    const total = (k: string): number => warnings.reduce((n, w) => n + (w[k] as number), 0);
    expect(total('malformed')).toBe(2);
    expect(total('foreignSource')).toBe(3);
  });

  it('re-latches to a new source after the latched one went silent', async () => {
    let now = 1_000;
    const { rtpSock, rx, got, a, b } = await setup({ relatchAfterMs: 2_000, now: () => now });
    await send(a, rtp(1), rtpSock.port);
    await until(() => rx.stats().datagrams === 1);
    now += 500;
    await send(b, rtp(50, 0x2222), rtpSock.port); // a still active: foreign
    await until(() => rx.stats().datagrams === 2);
    now += 2_000;
    await send(b, rtp(51, 0x2222), rtpSock.port); // a silent for 2.5 s: take over
    await until(() => rx.stats().datagrams === 3);
    expect(got.map((g) => g.pkt.sequence)).toEqual([1, 51]);
    expect(rx.stats()).toMatchObject({ foreignSource: 1, relatches: 1 });
    expect(rx.source!.port).toBe(b.address().port);
  });

  it('enlarges the socket receive buffer', async () => {
    const { rtpSock } = await setup({ recvBufferBytes: 256 * 1024 });
    // Linux doubles the requested size (bookkeeping) and caps it at rmem_max; the
    // default rmem_max (208 KiB) still yields more than the 256 KiB asked for.
    expect(rtpSock.socket.getRecvBufferSize()).toBeGreaterThanOrEqual(256 * 1024);
  });
});
