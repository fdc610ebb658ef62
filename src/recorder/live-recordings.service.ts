import type { Clock } from '../clock.js';
import { ID_PREFIX, newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { Metrics } from '../observability/metrics.js';
import type { BlobStore } from '../storage/blob/blob-store.js';
import { mediaKey, type ChannelMapEntry, type Recording, type RecordingSource, NEW_RECORDING_STORAGE } from '../recordings/recording.js';
import type { RecordingRepository } from '../recordings/recording.repo.js';
import type { RecordingEventSink } from '../recordings/recording-events.js';
import type { FlushScheduler } from './flush-scheduler.js';
import type { LiveCall } from './live-call.js';
import { RecordingTap, type Track } from './recording-tap.js';
import { RecordingWriter } from './recording-writer.js';
import { findSpooledRecordings, removeSpool } from './spool-recovery.js';
import { uploadSpool } from './spool-to-wav.js';
import type { SpoolMeta } from './spool.js';
import type { RecordingsService } from '../recordings/recordings.service.js';

export interface LiveRecordingsDeps {
  repo: RecordingRepository;
  blobs: BlobStore;
  jobs: JobQueue;
  events: RecordingEventSink;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  scheduler: FlushScheduler;
  recordings: RecordingsService;
  /** Local directory of in-progress audio (DATA_DIR/spool). */
  spoolDir: string;
}

export interface StartOptions {
  source: RecordingSource;
  /** Channels of the stored file: 2 = each party on its own channel, 1 = mono. */
  channels: 1 | 2;
  track: Track;
  channelMap?: ChannelMapEntry[];
  transcribe?: boolean;
  statusCallback?: string;
  ruleId?: string;
  /** Stop by itself after this many seconds of recording. */
  maxDurationSeconds?: number;
}

/**
 * Live recordings from start to stored file. Audio is spooled locally as it arrives
 * (flushed every 500 ms); at the end the spool becomes the WAV in media storage and the
 * transcode job makes the MP3 and completes the recording. The spool directory is
 * created before the recording row, so after a crash every live row has a spool to
 * recover, and a spool without a row is an orphan to remove.
 */
export class LiveRecordingsService {
  private readonly live = new Map<string, { tap: RecordingTap; call: LiveCall; timer?: NodeJS.Timeout }>();

  constructor(private readonly deps: LiveRecordingsDeps) {}

  /** Starts recording a live call from now on. */
  async start(call: LiveCall, opts: StartOptions): Promise<{ recording: Recording; tap: RecordingTap }> {
    const now = this.deps.clock.now();
    const id = newId(ID_PREFIX.recording, now.getTime());
    const writer = await RecordingWriter.open({
      root: this.deps.spoolDir,
      recordingId: id,
      accountId: call.accountId,
      sampleRate: call.sampleRate,
      sourceChannels: opts.track === 'both' ? 2 : 1,
      outputChannels: opts.track === 'both' ? opts.channels : 1,
      extra: { callId: call.callId },
      startedAt: now,
    });
    const recording: Recording = {
      id,
      accountId: call.accountId,
      callId: call.callId,
      status: 'in-progress',
      source: opts.source,
      channels: opts.track === 'both' ? opts.channels : 1,
      sampleRate: call.sampleRate,
      durationMs: 0,
      errorCode: null,
      errorMessage: null,
      dateCreated: now,
      dateUpdated: now,
      media: {},
      details: { channelMap: opts.channelMap, track: opts.track, transcribe: opts.transcribe, statusCallback: opts.statusCallback, ruleId: opts.ruleId },
      ...NEW_RECORDING_STORAGE,
    };
    try {
      await this.deps.repo.insert(recording);
    } catch (err) {
      await writer.discard();
      throw err;
    }
    const tap = new RecordingTap(id, writer, call.positionAt(now.getTime()), now.getTime(), opts.track);
    this.deps.scheduler.add(writer);
    call.attach(tap);
    const timer = opts.maxDurationSeconds
      ? setTimeout(() => void this.stop(id).catch((err) => this.deps.log.error({ err, recordingId: id }, 'max_duration stop failed')), opts.maxDurationSeconds * 1000)
      : undefined;
    timer?.unref();
    this.live.set(id, { tap, call, timer });
    this.deps.metrics.recordingsInProgress.inc();
    await this.deps.events.publish('recording.in-progress', recording);
    return { recording, tap };
  }

  /** True when this process is writing the recording. */
  isLive(recordingId: string): boolean {
    return this.live.has(recordingId);
  }

  /** Pauses a live recording: from now on its audio is dropped before it reaches the writer. */
  async pause(recordingId: string, behavior: 'silence' | 'skip'): Promise<Recording | null> {
    const entry = this.live.get(recordingId);
    if (!entry) return null;
    entry.tap.pause(entry.call.positionAt(Date.now()), behavior);
    return this.setPaused(recordingId, true, behavior, 'recording.paused');
  }

  /** Resumes a paused recording. */
  async resume(recordingId: string): Promise<Recording | null> {
    const entry = this.live.get(recordingId);
    if (!entry) return null;
    entry.tap.resume(entry.call.positionAt(Date.now()));
    return this.setPaused(recordingId, false, undefined, 'recording.resumed');
  }

  private async setPaused(recordingId: string, paused: boolean, behavior: 'silence' | 'skip' | undefined, event: 'recording.paused' | 'recording.resumed'): Promise<Recording | null> {
    const current = await this.deps.repo.findByIdUnscoped(recordingId);
    if (!current) return null;
    if (Boolean(current.details.paused) === paused) return current;
    const details = { ...current.details, paused, pauseBehavior: behavior };
    await this.deps.repo.update(recordingId, { details }, this.deps.clock.now(), 'in-progress');
    const updated = { ...current, details };
    await this.deps.events.publish(event, updated);
    return updated;
  }

  /** Stops a recording and stores what it captured; resolves once the WAV is stored. */
  async stop(recordingId: string): Promise<void> {
    const entry = this.live.get(recordingId);
    if (!entry) return;
    this.live.delete(recordingId);
    const { tap, call } = entry;
    clearTimeout(entry.timer);
    call.detach(tap);
    this.deps.scheduler.remove(tap.writer);
    this.deps.metrics.recordingsInProgress.dec();
    // DTMF times move from the call's clock to the recording's.
    const offsetMs = tap.startedAtMs - call.startedAtMs;
    const dtmf = call.dtmf
      .filter((d) => d.startMs >= offsetMs)
      .map((d) => ({ digit: d.digit, channel: d.channel, startMs: Math.round(d.startMs - offsetMs), durationMs: Math.round(d.durationMs) }));
    try {
      await tap.writer.close();
    } catch (err) {
      this.deps.log.error({ err, recordingId }, 'live recording spool failed');
    }
    await this.finalizeSpool(tap.writer.dir, recordingId, call.accountId, dtmf);
  }

  /** Stops every live recording (shutdown): each is stored, none is lost. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.live.keys()].map((id) => this.stop(id)));
  }

  /**
   * Crash recovery at startup: every spool left behind becomes a stored recording (or a
   * failed one when it holds no audio); spools without a recording row are removed.
   */
  async recover(): Promise<{ recovered: number; removed: number; calls: Array<{ accountId: string; callId: string }> }> {
    let recovered = 0;
    const calls: Array<{ accountId: string; callId: string }> = [];
    let removed = 0;
    for await (const spooled of findSpooledRecordings(this.deps.spoolDir)) {
      const meta = spooled.meta as SpoolMeta | null;
      const recording = meta ? await this.deps.repo.findByIdUnscoped(meta.recordingId) : null;
      if (!meta || !recording || recording.status !== 'in-progress') {
        await removeSpool(spooled.dir);
        removed++;
        continue;
      }
      await this.finalizeSpool(spooled.dir, recording.id, recording.accountId, recording.details.dtmf ?? []);
      calls.push({ accountId: recording.accountId, callId: recording.callId });
      recovered++;
    }
    if (recovered || removed) this.deps.log.info({ recovered, removed }, 'recovered spooled recordings');
    return { recovered, removed, calls };
  }

  /** Spool → WAV in storage → transcode job; a spool with no audio fails the recording. Idempotent. */
  private async finalizeSpool(dir: string, recordingId: string, accountId: string, dtmf: NonNullable<Recording['details']['dtmf']>): Promise<void> {
    const recording = await this.deps.repo.findByIdUnscoped(recordingId);
    if (!recording || recording.status !== 'in-progress') {
      await removeSpool(dir);
      return;
    }
    try {
      const key = mediaKey(accountId, recordingId, 'wav');
      const stored = await uploadSpool(dir, this.deps.blobs, key);
      if (stored.durationSamples === 0) {
        await this.deps.blobs.delete(key);
        await this.deps.recordings.markFailed(recording, 'no_audio', 'no audio arrived for this recording');
      } else {
        await this.deps.repo.update(
          recordingId,
          {
            media: { wav: { key, bytes: stored.bytes, sha256: stored.sha256 } },
            durationMs: Math.round((stored.durationSamples * 1000) / stored.sampleRate),
            sampleRate: stored.sampleRate,
            channels: stored.channels,
            details: { ...recording.details, dtmf, paused: false },
          },
          this.deps.clock.now(),
          'in-progress',
        );
        await this.deps.jobs.send('recording.transcode', { recordingId }, { singletonKey: `transcode:${recordingId}` });
      }
      await removeSpool(dir);
    } catch (err) {
      // The spool stays; the next start (or an operator) retries. The row stays in-progress.
      this.deps.log.error({ err, recordingId }, 'could not store live recording; spool kept for recovery');
    }
  }

}

