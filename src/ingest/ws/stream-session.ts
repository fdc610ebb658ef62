import type { CallStart } from '../../calls/calls.service.js';
import type { LiveCallHandle, LiveCallsService } from '../../calls/live-calls.service.js';
import type { Logger } from '../../logger.js';
import type { PcmPool } from './pcm-pool.js';
import type { ThrottledLog } from './throttled-log.js';

/** WebSocket close codes this ingest sends (RFC 6455 §7.4.1). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  internalError: 1011,
} as const;

/** The socket as a session sees it: `ws`'s WebSocket satisfies it, and so does a test double. */
export interface StreamSocket {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
}

/** Process-wide counters of stream ingest, in frames (messages) unless named otherwise. */
export interface StreamTotals {
  opened: number;
  ended: number;
  /** Audio frames accepted (Twilio `media`, L16 binary). */
  frames: number;
  /** Dropped: older than audio already released (beyond the reorder window). */
  late: number;
  /** Dropped: a repeat of a frame still in the reorder window. */
  duplicate: number;
  /** Unparseable JSON, bad base64, missing fields. */
  malformed: number;
  /** Well-formed but unused: unknown events or tracks, media before `start`, binary frames in a JSON stream. */
  ignored: number;
  /** Larger than the frame limit. */
  oversized: number;
  /** Timestamps far beyond the stream's elapsed time, or negative. */
  implausible: number;
  /** Frames that arrived while the call was being opened and did not fit the queue. */
  overflow: number;
}

/** What every stream session of a process shares. */
export interface StreamContext {
  liveCalls: LiveCallsService;
  log: Logger;
  warn: ThrottledLog;
  pool: PcmPool;
  totals: StreamTotals;
  /** Reorder window of timestamped streams, ms of stream time. */
  reorderMs: number;
  /** Frames larger than this are ignored, bytes. */
  maxFrameBytes: number;
  /** Bytes of frames queued by all sessions while their calls open; see MAX_QUEUED_BYTES. */
  queued: { bytes: number };
  /** Reserves `callId` for this stream; false when a live call of the account already has it. */
  claim(accountId: string, callId: string): boolean;
  unclaim(accountId: string, callId: string): void;
  /** The session ended and forgets it. */
  ended(session: StreamSession): void;
}

/**
 * Frames kept while the call is being opened. That takes a few database round trips and
 * file syncs, milliseconds normally, but seconds on an overloaded disk or during a database
 * failover: 3,000 is 30 s of two 20 ms tracks (about 1 MB of Twilio JSON).
 */
const MAX_QUEUED = 3000;
/**
 * And at most this much for the whole process: when the database or disk stalls and
 * hundreds of calls wait to open at once, dropping audio beats running out of memory.
 */
const MAX_QUEUED_BYTES = 256 * 1024 * 1024;
const OPEN = 1;

type State = 'waiting' | 'opening' | 'live' | 'ending' | 'ended';

/**
 * One WebSocket connection = one call. The protocol subclass turns frames into call
 * metadata (then {@link beginCall}) and positioned audio; this base class opens the call
 * through LiveCallsService (recording rules and on-demand control apply as for SIPREC),
 * queues frames that arrive while that happens, and ends the call exactly once: on the
 * protocol's stop, socket close, idle timeout or shutdown.
 *
 * Timeline: stream position 0 is placed at the call position of the moment the call
 * finished opening, which is never before the automatic recording started, so no audio
 * is cut; the recording starts with the few ms of silence the opening took.
 */
export abstract class StreamSession {
  /** Wall clock (ms) of the last frame of any kind, for the idle timeout. */
  lastActivityMs = Date.now();
  protected handle: LiveCallHandle | null = null;
  /** Call position (samples) of stream position 0. */
  protected anchor = 0;
  protected state: State = 'waiting';
  private queue: Array<{ data: Buffer; isBinary: boolean }> = [];
  private queuedBytes = 0;
  private opening: Promise<void> | null = null;
  private ending: Promise<void> | null = null;
  private claimedCallId: string | null = null;

  constructor(
    protected readonly ctx: StreamContext,
    protected readonly socket: StreamSocket,
    readonly accountId: string,
  ) {}

  /** The protocol's name, for logs. */
  protected abstract readonly format: string;
  /** Handles one frame once the session is past opening (or waiting for its metadata). */
  protected abstract onMessage(data: Buffer, isBinary: boolean): void;
  /** Releases everything a reorder window holds (end of the stream). */
  protected abstract flush(): void;

  /** Periodic work (about once a second): release frames of tracks that went quiet. */
  tick(_nowMs: number): void {}

  /** The call id, once known. */
  get callId(): string | null {
    return this.handle?.call.callId ?? this.claimedCallId;
  }

  /** Feeds one WebSocket message; never throws. */
  receive(data: Buffer, isBinary: boolean): void {
    this.lastActivityMs = Date.now();
    if (this.state === 'ending' || this.state === 'ended') return;
    if (data.length > this.ctx.maxFrameBytes) {
      this.ctx.totals.oversized++;
      this.ctx.warn.warn('oversized', { format: this.format, bytes: data.length, limit: this.ctx.maxFrameBytes }, 'stream frame over the size limit ignored');
      return;
    }
    if (this.state === 'opening') {
      this.enqueue(data, isBinary);
      return;
    }
    this.dispatch(data, isBinary);
  }

  /** Keeps a frame until the call is open (a protocol may queue the frame that started it). */
  protected enqueue(data: Buffer, isBinary: boolean): void {
    if (this.queue.length >= MAX_QUEUED || this.ctx.queued.bytes + data.length > MAX_QUEUED_BYTES) {
      this.ctx.totals.overflow++;
      this.ctx.warn.warn('overflow', { format: this.format }, 'stream frame dropped while the call was opening');
      return;
    }
    this.queue.push({ data, isBinary });
    this.queuedBytes += data.length;
    this.ctx.queued.bytes += data.length;
  }

  /** Takes the queued frames, releasing their share of the process-wide budget. */
  private takeQueue(): Array<{ data: Buffer; isBinary: boolean }> {
    const queued = this.queue;
    this.queue = [];
    this.ctx.queued.bytes -= this.queuedBytes;
    this.queuedBytes = 0;
    return queued;
  }

  private dispatch(data: Buffer, isBinary: boolean): void {
    try {
      this.onMessage(data, isBinary);
    } catch (err) {
      // A bug on one frame must not take the call (or the process) down.
      this.ctx.totals.malformed++;
      this.ctx.warn.error('frame-failed', { err, format: this.format, callId: this.callId }, 'stream frame failed');
    }
  }

  /** Opens the call; frames arriving meanwhile are queued and handled once it is open. */
  protected beginCall(start: CallStart, sampleRate: number, monoSource: boolean): void {
    if (this.state !== 'waiting') return;
    if (!this.ctx.claim(start.accountId, start.callId)) {
      this.ctx.warn.warn('duplicate-call', { format: this.format, callId: start.callId }, 'stream refused: the call already has a live stream');
      void this.finish('duplicate call', CLOSE.policyViolation, 'call already has a live stream');
      return;
    }
    this.claimedCallId = start.callId;
    this.state = 'opening';
    const t0 = Date.now();
    this.opening = this.ctx.liveCalls.open(start, sampleRate, undefined, { monoSource }).then(
      (handle) => {
        const ms = Date.now() - t0;
        if (ms > 1000) this.ctx.warn.warn('slow-open', { format: this.format, callId: start.callId, ms, queued: this.queue.length }, 'opening the call of a media stream took over a second');
        this.handle = handle;
        this.anchor = handle.media.positionAt(Date.now());
        this.ctx.totals.opened++;
        if (this.state !== 'opening') return; // ending: finish() handles the queue
        this.state = 'live';
        this.drainQueue();
      },
      (err) => {
        this.ctx.log.error({ err, format: this.format, callId: start.callId }, 'could not open the call of a media stream');
        void this.finish('call could not be opened', CLOSE.internalError, 'could not start recording');
      },
    );
  }

  private drainQueue(): void {
    for (const { data, isBinary } of this.takeQueue()) this.dispatch(data, isBinary);
  }

  /**
   * Ends the stream: queued and held frames are placed, the call ends (its recordings are
   * stored), the socket is closed with `code` if still open. Idempotent.
   */
  finish(reason: string, code: number = CLOSE.normal, closeReason = ''): Promise<void> {
    this.ending ??= this.finishOnce(reason, code, closeReason);
    return this.ending;
  }

  private async finishOnce(reason: string, code: number, closeReason: string): Promise<void> {
    this.state = 'ending';
    if (this.opening) await this.opening;
    if (this.handle) {
      try {
        this.drainQueue();
        this.flush();
      } catch (err) {
        this.ctx.log.error({ err, callId: this.callId }, 'could not flush a media stream');
      }
    }
    this.takeQueue();
    if (this.socket.readyState === OPEN) this.socket.close(code, closeReason);
    if (this.handle) {
      await this.ctx.liveCalls.end(this.handle, reason).catch((err) => this.ctx.log.error({ err, callId: this.callId }, 'could not end the call of a media stream'));
      this.ctx.totals.ended++;
    }
    this.state = 'ended';
    if (this.claimedCallId !== null) this.ctx.unclaim(this.accountId, this.claimedCallId);
    this.ctx.ended(this);
    this.ctx.log.info({ format: this.format, callId: this.callId, reason, ...this.stats() }, 'media stream ended');
  }

  /** Per-stream counters for the end-of-stream log line. */
  protected stats(): Record<string, unknown> {
    return {};
  }
}

/** A string field of untrusted JSON, trimmed and bounded, or undefined. */
export function stringField(value: unknown, maxLength = 256): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= maxLength ? trimmed : undefined;
}

/** A usable call id: printable ASCII without spaces, 1-256 characters. */
export function callIdField(value: unknown): string | undefined {
  const s = stringField(value);
  return s !== undefined && /^[\x21-\x7e]+$/.test(s) ? s : undefined;
}

/** The first of `names` present in `obj` as a string, matching names case-insensitively. */
export function pickField(obj: Record<string, unknown>, names: string[]): string | undefined {
  for (const key of Object.keys(obj)) {
    if (names.includes(key.toLowerCase())) {
      const v = stringField(obj[key]);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}
