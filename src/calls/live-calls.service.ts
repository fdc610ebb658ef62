import type { Logger } from '../logger.js';
import { LiveCall } from '../recorder/live-call.js';
import type { LiveRecordingsService } from '../recorder/live-recordings.service.js';
import type { ChannelMapEntry } from '../recordings/recording.js';
import type { Call } from './call.js';
import type { CallsService, CallStart } from './calls.service.js';
import type { RecordingPolicy } from './recording-policy.js';

/** A live call as an ingest holds it: the row, the media timeline, and how channels map to parties. */
export interface LiveCallHandle {
  call: Call;
  media: LiveCall;
  channelMap?: ChannelMapEntry[];
  /** The source carries one channel only (a mono WebSocket stream): recordings of it are mono, from channel 1. */
  monoSource?: boolean;
}

/** Optional facts about a call's media source when it opens. */
export interface OpenOptions {
  /** Only channel 1 will ever carry audio: record it as mono instead of a stereo file with a silent channel 2. */
  monoSource?: boolean;
}

/**
 * Live calls of this process, whatever carries their media (SIPREC or a WebSocket
 * stream): opening one registers the call, applies automatic recording, and makes it
 * reachable for on-demand control; ending one stores its recordings and closes the call.
 */
export class LiveCallsService {
  private readonly live = new Map<string, LiveCallHandle>();

  constructor(
    private readonly deps: { calls: CallsService; policy: RecordingPolicy; liveRecordings: LiveRecordingsService; log: Logger },
  ) {}

  private static key(accountId: string, callId: string): string {
    return `${accountId}\u0000${callId}`;
  }

  /** Opens a live call at `sampleRate` and starts automatic recording when the policy says so. */
  async open(start: CallStart, sampleRate: number, channelMap?: ChannelMapEntry[], opts: OpenOptions = {}): Promise<LiveCallHandle> {
    const call = await this.deps.calls.open(start);
    const handle: LiveCallHandle = { call, media: new LiveCall(call.callId, call.accountId, sampleRate, Date.now()), channelMap, monoSource: opts.monoSource };
    this.live.set(LiveCallsService.key(call.accountId, call.callId), handle);
    try {
      const decision = await this.deps.policy.decide(call);
      if (decision.record) {
        // A mono source recorded 'both' would be a stereo file with a silent channel 2 (or, mixed, 6 dB quieter).
        const mono = opts.monoSource === true && decision.track === 'both';
        await this.deps.liveRecordings.start(handle.media, { source: 'automatic', channels: mono ? 1 : decision.channels, track: mono ? 'inbound' : decision.track, channelMap, transcribe: decision.transcribe });
      }
    } catch (err) {
      this.live.delete(LiveCallsService.key(call.accountId, call.callId));
      throw err;
    }
    return handle;
  }

  /** The live call with this id in this process, if any. */
  find(accountId: string, callId: string): LiveCallHandle | undefined {
    return this.live.get(LiveCallsService.key(accountId, callId));
  }

  /** Ends a call: every recording tapping it is stored, then the call is marked ended. */
  async end(handle: LiveCallHandle, reason: string): Promise<void> {
    const key = LiveCallsService.key(handle.call.accountId, handle.call.callId);
    if (this.live.get(key) !== handle) return;
    this.live.delete(key);
    this.deps.log.info({ callId: handle.call.callId, reason }, 'call ended');
    await Promise.allSettled(handle.media.activeTaps.map((tap) => this.deps.liveRecordings.stop(tap.recordingId)));
    await this.deps.calls.end(handle.call).catch((err) => this.deps.log.warn({ err }, 'could not mark call ended'));
  }

  /** Ends every live call (shutdown). */
  async endAll(reason: string): Promise<void> {
    await Promise.allSettled([...this.live.values()].map((h) => this.end(h, reason)));
  }

  get size(): number {
    return this.live.size;
  }
}
