import type { LiveCallsService } from '../../calls/live-calls.service.js';
import type { Logger } from '../../logger.js';
import { L16Stream } from './l16-stream.js';
import { PcmPool } from './pcm-pool.js';
import { CLOSE, type StreamContext, type StreamSession, type StreamSocket, type StreamTotals } from './stream-session.js';
import { ThrottledLog } from './throttled-log.js';
import { TWILIO_EVENTS, TwilioStream } from './twilio-stream.js';

/** Frames larger than this are ignored (bytes); a 20 ms Twilio frame is about 300. */
export const STREAM_MAX_FRAME_BYTES = 64 * 1024;

export interface StreamIngestOptions {
  liveCalls: LiveCallsService;
  log: Logger;
  /** Reorder window of timestamped (Twilio) streams, ms of stream time. */
  reorderMs: number;
  /** A stream with no frame for this long ends, ms (RTP_TIMEOUT). */
  idleTimeoutMs: number;
  maxFrameBytes?: number;
}

/** A socket with the events a session needs (`ws`'s WebSocket). */
export interface StreamSocketEvents extends StreamSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** Which protocol a connection speaks, from its first frame (or `?format=`). */
export function detectFormat(first: Buffer, isBinary: boolean, forced: string | null): 'twilio' | 'l16' {
  if (forced === 'twilio' || forced === 'l16') return forced;
  if (isBinary) return 'l16';
  try {
    const msg = JSON.parse(first.toString('utf8')) as { event?: unknown } | null;
    return msg !== null && typeof msg === 'object' && typeof msg.event === 'string' && TWILIO_EVENTS.has(msg.event) && msg.event !== 'dtmf' ? 'twilio' : 'l16';
  } catch {
    return 'l16';
  }
}

/**
 * WebSocket media streams of this process: each accepted connection becomes a session
 * (Twilio JSON or binary L16, told apart by the first frame), one call per connection.
 * One timer for all of them ends idle streams (no frame for RTP_TIMEOUT) and releases
 * reorder windows of tracks that went quiet.
 */
export class StreamIngest {
  private readonly sessions = new Set<StreamSession>();
  /** Connections that have not sent their first frame yet, with their connect time. */
  private readonly waiting = new Map<StreamSocket, number>();
  private readonly claimed = new Set<string>();
  private readonly ctx: StreamContext;
  private sweeper?: NodeJS.Timeout;
  private stopping = false;
  readonly totals: StreamTotals = { opened: 0, ended: 0, frames: 0, late: 0, duplicate: 0, malformed: 0, ignored: 0, oversized: 0, implausible: 0, overflow: 0 };

  constructor(private readonly opts: StreamIngestOptions) {
    const claimed = this.claimed;
    const key = (accountId: string, callId: string) => `${accountId}\u0000${callId}`;
    this.ctx = {
      liveCalls: opts.liveCalls,
      log: opts.log,
      warn: new ThrottledLog(opts.log),
      pool: new PcmPool(),
      totals: this.totals,
      reorderMs: opts.reorderMs,
      maxFrameBytes: opts.maxFrameBytes ?? STREAM_MAX_FRAME_BYTES,
      queued: { bytes: 0 },
      claim(accountId, callId) {
        const k = key(accountId, callId);
        if (claimed.has(k) || opts.liveCalls.find(accountId, callId)) return false;
        claimed.add(k);
        return true;
      },
      unclaim: (accountId, callId) => claimed.delete(key(accountId, callId)),
      ended: (session) => this.sessions.delete(session),
    };
  }

  /** Live streams (sessions past their first frame). */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts the idle sweeper. */
  start(): void {
    this.sweeper = setInterval(() => this.sweep(Date.now()), 1000);
    this.sweeper.unref();
  }

  /** Takes over an authenticated WebSocket for `accountId`; `query` is the URL's query string. */
  accept(socket: StreamSocketEvents, accountId: string, query: URLSearchParams): void {
    if (this.stopping) {
      socket.close(CLOSE.goingAway, 'server shutting down');
      return;
    }
    let session: StreamSession | null = null;
    this.waiting.set(socket, Date.now());
    socket.on('message', (data, isBinary) => {
      if (session === null) {
        this.waiting.delete(socket);
        const format = detectFormat(data, isBinary, query.get('format'));
        session = format === 'twilio' ? new TwilioStream(this.ctx, socket, accountId) : new L16Stream(this.ctx, socket, accountId, query);
        this.sessions.add(session);
      }
      session.receive(data, isBinary);
    });
    socket.on('close', () => {
      this.waiting.delete(socket);
      if (session) void session.finish('socket closed');
    });
  }

  private sweep(nowMs: number): void {
    const limit = this.opts.idleTimeoutMs;
    for (const [socket, since] of this.waiting) {
      if (nowMs - since > limit) {
        this.waiting.delete(socket);
        socket.close(CLOSE.normal, 'idle timeout');
      }
    }
    for (const session of this.sessions) {
      if (nowMs - session.lastActivityMs > limit) void session.finish('stream timeout', CLOSE.normal, 'idle timeout');
      else session.tick(nowMs);
    }
  }

  /** Refuses new streams and ends every live one, storing what each recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    for (const socket of this.waiting.keys()) socket.close(CLOSE.goingAway, 'server shutting down');
    this.waiting.clear();
    await Promise.allSettled([...this.sessions].map((s) => s.finish('shutdown', CLOSE.goingAway, 'server shutting down')));
  }
}
