// RTP port pool. RTP uses even ports; RTCP conventionally takes port + 1 (RFC 3550
// §11), which is reserved by skipping it but never bound here (RTCP is not needed
// to record, and rtcp-mux peers send it on the RTP port where the receiver drops it).

import dgram from 'node:dgram';
import { isIP } from 'node:net';

/** Thrown when every port of the range is allocated. */
export class PortsExhaustedError extends Error {
  readonly code = 'RTP_PORTS_EXHAUSTED';
  constructor(min: number, max: number) {
    super(`no free RTP port in ${min}-${max}`);
    this.name = 'PortsExhaustedError';
  }
}

/**
 * Even ports in [min, max], O(1) allocate and release. Free ports form a FIFO ring,
 * so a released port goes to the back of the queue: late packets of a finished call
 * are unlikely to land in the next call that would otherwise reuse it at once.
 */
export class PortAllocator {
  readonly min: number;
  readonly max: number;
  /** Ring of free ports; `count` live entries starting at `first`. */
  private readonly ring: Uint16Array;
  private first = 0;
  private count: number;
  /** inUse[(port - base) / 2] === 1 while allocated; guards double release. */
  private readonly inUse: Uint8Array;
  /** Lowest even port of the range. */
  private readonly base: number;

  constructor(min: number, max: number) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new RangeError(`invalid RTP port range ${min}-${max}`);
    }
    this.min = min;
    this.max = max;
    this.base = min + (min & 1);
    const size = this.base > max ? 0 : ((max - this.base) >> 1) + 1;
    if (size === 0) throw new RangeError(`RTP port range ${min}-${max} holds no even port`);
    this.ring = new Uint16Array(size);
    this.inUse = new Uint8Array(size);
    for (let i = 0; i < size; i++) this.ring[i] = this.base + 2 * i;
    this.count = size;
  }

  /** Number of ports in the range. */
  get size(): number {
    return this.ring.length;
  }

  /** Number of ports currently free. */
  get available(): number {
    return this.count;
  }

  /** Take the least recently released even port; throws PortsExhaustedError when none is free. */
  allocate(): number {
    if (this.count === 0) throw new PortsExhaustedError(this.min, this.max);
    const port = this.ring[this.first];
    this.first = (this.first + 1) % this.ring.length;
    this.count--;
    this.inUse[(port - this.base) >> 1] = 1;
    return port;
  }

  /** Return a port to the pool; ignores ports not allocated from this pool (double release). */
  release(port: number): void {
    const slot = (port - this.base) >> 1;
    if (port < this.base || port > this.max || (port & 1) !== 0 || this.inUse[slot] !== 1) return;
    this.inUse[slot] = 0;
    this.ring[(this.first + this.count) % this.ring.length] = port;
    this.count++;
  }
}

/** A dgram socket bound on an allocated RTP port. */
export interface RtpSocket {
  readonly socket: dgram.Socket;
  readonly port: number;
  /** Close the socket and return its port to the allocator; safe to call twice. */
  release(): Promise<void>;
}

/**
 * Allocate a port and bind a UDP socket on `host` (udp6 for IPv6 literals). A port
 * some other process holds (EADDRINUSE) goes back to the pool and the next is tried,
 * each free port at most once; then PortsExhaustedError. The caller must attach an
 * 'error' listener (RtpReceiver does) before anything can go wrong on the socket.
 */
export async function bindRtpSocket(allocator: PortAllocator, host: string): Promise<RtpSocket> {
  const type = isIP(host) === 6 ? 'udp6' : 'udp4';
  const attempts = allocator.available;
  for (let i = 0; i < attempts; i++) {
    const port = allocator.allocate();
    const socket = dgram.createSocket({ type });
    try {
      await bind(socket, port, host);
    } catch (err) {
      closeQuietly(socket);
      allocator.release(port);
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
    return rtpSocket(socket, port, allocator);
  }
  throw new PortsExhaustedError(allocator.min, allocator.max);
}

function bind(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function rtpSocket(socket: dgram.Socket, port: number, allocator: PortAllocator): RtpSocket {
  let released: Promise<void> | null = null;
  return {
    socket,
    port,
    release() {
      released ??= new Promise<void>((resolve) => {
        const done = (): void => {
          allocator.release(port);
          resolve();
        };
        try {
          socket.close(done);
        } catch {
          done(); // already closed by someone else (ERR_SOCKET_DGRAM_NOT_RUNNING)
        }
      });
      return released;
    },
  };
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // never bound or already closed: nothing to free
  }
}
