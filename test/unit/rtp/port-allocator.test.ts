import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { bindRtpSocket, PortAllocator, PortsExhaustedError, type RtpSocket } from '../../../src/ingest/rtp/port-allocator.js';

describe('PortAllocator', () => {
  it('hands out only even ports of the range, least recently released first', () => {
    const a = new PortAllocator(10001, 10010);
    expect(a.size).toBe(5);
    const got = [a.allocate(), a.allocate(), a.allocate()];
    expect(got).toEqual([10002, 10004, 10006]);
    a.release(10002);
    expect([a.allocate(), a.allocate(), a.allocate()]).toEqual([10008, 10010, 10002]);
  });

  it('throws a typed error when exhausted, and recovers after a release', () => {
    const a = new PortAllocator(20000, 20002);
    a.allocate();
    a.allocate();
    let err: unknown;
    try {
      a.allocate();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PortsExhaustedError);
    expect((err as PortsExhaustedError).code).toBe('RTP_PORTS_EXHAUSTED');
    a.release(20002);
    expect(a.allocate()).toBe(20002);
  });

  it('ignores double releases and foreign ports, so a port is never handed out twice', () => {
    const a = new PortAllocator(30000, 30004);
    const p = a.allocate();
    a.release(p);
    a.release(p);
    a.release(30001);
    a.release(40000);
    expect(a.available).toBe(3);
    const all = [a.allocate(), a.allocate(), a.allocate()];
    expect(new Set(all).size).toBe(3);
    expect(() => a.allocate()).toThrow(PortsExhaustedError);
  });

  it('rejects ranges without an even port', () => {
    expect(() => new PortAllocator(10001, 10001)).toThrow(RangeError);
    expect(() => new PortAllocator(10010, 10000)).toThrow(RangeError);
    expect(() => new PortAllocator(0, 70000)).toThrow(RangeError);
  });
});

describe('bindRtpSocket', () => {
  const open: Array<RtpSocket | dgram.Socket> = [];
  afterEach(async () => {
    for (const s of open.splice(0)) {
      if ('release' in s) await s.release();
      else await new Promise<void>((r) => s.close(() => r()));
    }
  });

  /** Bind a plain socket on a free even port, to play "another process". */
  async function occupyEvenPort(): Promise<dgram.Socket> {
    for (let i = 0; i < 50; i++) {
      const port = 20000 + 2 * Math.floor(Math.random() * 10000);
      const s = dgram.createSocket('udp4');
      const ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) return s;
      s.close();
    }
    throw new Error('no free even port found');
  }

  it('binds the next port when one is taken by another process, and release frees it', async () => {
    const blocker = await occupyEvenPort();
    open.push(blocker);
    const taken = blocker.address().port;
    const alloc = new PortAllocator(taken, taken + 20);
    const rtp = await bindRtpSocket(alloc, '127.0.0.1');
    expect(rtp.port).not.toBe(taken);
    expect(rtp.port % 2).toBe(0);
    expect(rtp.socket.address().port).toBe(rtp.port);
    expect(alloc.available).toBe(alloc.size - 1); // the busy port went back to the pool

    await rtp.release();
    await rtp.release(); // idempotent
    expect(alloc.available).toBe(alloc.size);
    // The port is really closed: it can be bound again.
    const again = dgram.createSocket('udp4');
    open.push(again);
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(rtp.port, '127.0.0.1', () => resolve());
    });
  });

  it('rejects with PortsExhaustedError when every port is taken', async () => {
    const blocker = await occupyEvenPort();
    open.push(blocker);
    const taken = blocker.address().port;
    await expect(bindRtpSocket(new PortAllocator(taken, taken + 1), '127.0.0.1')).rejects.toBeInstanceOf(PortsExhaustedError);
  });
});
