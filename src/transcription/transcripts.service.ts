import { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { MediaError } from '../media/media-error.js';
import { deinterleave } from '../media/mix.js';
import { Mp3StreamEncoder } from '../media/mp3.js';
import { decodeWav, encodeWav } from '../media/wav.js';
import type { Recording, StoredMedia } from '../recordings/recording.js';
import type { RecordingRepository } from '../recordings/recording.repo.js';
import type { RecordingEventSink, RecordingEventType } from '../recordings/recording-events.js';
import type { MediaStores } from '../storage/blob/media-stores.js';
import { mergeChannels, transcriptText } from './merge.js';
import { silenceSpans } from './redacted-audio.js';
import { redactSegments } from './redaction.js';
import { EngineError, type EngineSegment, type TranscriptionEngine } from './transcription-engine.js';
import type { TranscriptRepository } from './transcript.repo.js';
import type { Transcript, TranscriptionSettings, TranscriptOptions } from './transcript.js';

/** Id prefix of transcripts. */
export const TRANSCRIPT_ID_PREFIX = 'TR';

/** What happens to the original audio once a redacted copy exists. */
export type RedactedAudioPolicy = 'keep-original' | 'remove-original';

export interface TranscriptsDeps {
  repo: TranscriptRepository;
  recordings: RecordingRepository;
  /** Media tiers: the recording is read from its own; redacted copies are written to the standard one. */
  stores: MediaStores;
  jobs: JobQueue;
  /** Where transcription.completed / .failed go (webhooks). */
  events: RecordingEventSink;
  engine: TranscriptionEngine;
  clock: Clock;
  log: Logger;
  /** Server defaults, overridden by the account's settings, overridden by the request. */
  redactDefault: boolean;
  redactAudioDefault: boolean;
  redactedAudio: RedactedAudioPolicy;
  /** Language hint sent to engines when a request names none. */
  language?: string;
}

/** What a client may ask for (absent fields: the account's settings, then the server's). */
export interface TranscriptRequest {
  redact?: boolean;
  redactAudio?: boolean;
  language?: string;
}

/** Blob key of a recording's redacted audio; deterministic, so a rerun overwrites its own output. */
export function redactedMediaKey(accountId: string, recordingId: string, format: 'wav' | 'mp3'): string {
  return `recordings/${accountId}/${recordingId}.redacted.${format}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Transcripts of recordings: requests (API, or automatically when a recording that asked
 * for it completes), the transcription run (a job), redaction, reads and deletion.
 * The recording itself is never changed by a transcription, except that with
 * REDACTED_AUDIO=remove-original a successful redaction replaces its audio.
 */
export class TranscriptsService {
  constructor(private readonly deps: TranscriptsDeps) {}

  /** The engine's name (what new transcripts show as `engine`). */
  get engineName(): string {
    return this.deps.engine.name;
  }

  /** The transcript of a recording of the account; 404 when the recording or its transcript is unknown. */
  async get(accountId: string, recordingId: string): Promise<Transcript> {
    const transcript = await this.deps.repo.findByRecording(accountId, recordingId);
    if (!transcript) {
      if (!(await this.deps.recordings.findById(accountId, recordingId))) throw notFound('recording_not_found', `recording ${recordingId} not found`);
      throw notFound('transcript_not_found', `recording ${recordingId} has no transcript; request one with POST /recordings/${recordingId}/transcription`);
    }
    return transcript;
  }

  /**
   * Queues a transcription of a completed recording (202). A transcript already queued or
   * running is returned as it is; a finished one is replaced by the new run.
   */
  async request(accountId: string, recordingId: string, req: TranscriptRequest = {}): Promise<Transcript> {
    const recording = await this.deps.recordings.findById(accountId, recordingId);
    if (!recording) throw notFound('recording_not_found', `recording ${recordingId} not found`);
    if (recording.status !== 'completed' || !recording.media.wav) {
      throw new DomainError('conflict', 'recording_not_completed', `recording ${recordingId} is ${recording.status}; it can be transcribed once completed (or upload with transcribe=true)`);
    }
    if (recording.mediaDeletedAt) throw new DomainError('conflict', 'recording_media_deleted', `the audio of recording ${recordingId} was removed by retention`);
    const existing = await this.deps.repo.findByRecording(accountId, recordingId);
    if (existing && (existing.status === 'queued' || existing.status === 'in-progress')) return existing;
    if (existing) await this.removeRedactedMedia(existing, recording);
    return this.queue(recording, await this.resolveOptions(accountId, req));
  }

  /** Called when a recording completes: queues its transcript if it asked for one (and has none yet). */
  async onRecordingCompleted(recording: Recording): Promise<void> {
    if (!recording.details.transcribe) return;
    if (await this.deps.repo.findByRecordingUnscoped(recording.id)) return;
    const options = await this.resolveOptions(recording.accountId, { redact: recording.details.redact, redactAudio: recording.details.redactAudio });
    await this.queue(recording, options);
  }

  /**
   * Wraps a recording event sink: a completed recording that asked for a transcript gets one
   * queued, a deleted one loses its redacted audio; then the event goes on to `inner`.
   */
  eventSink(inner: RecordingEventSink): RecordingEventSink {
    return {
      publish: async (type: RecordingEventType, recording: Recording, opts?: { dedupeKey?: string }) => {
        try {
          if (type === 'recording.completed') await this.onRecordingCompleted(recording);
          // redactedAudio === false: known to have none (undefined: not looked up, so delete to be sure).
          if ((type === 'recording.deleted' || type === 'recording.media_deleted') && recording.redactedAudio !== false) await this.deleteRedactedBlobs(recording.accountId, recording.id);
        } catch (err) {
          this.deps.log.error({ err, recordingId: recording.id, event: type }, 'transcription follow-up of a recording event failed');
        }
        await inner.publish(type, recording, opts);
      },
    };
  }

  /** Deletes a transcript and its redacted audio (the recording stays). */
  async delete(accountId: string, recordingId: string): Promise<void> {
    const deleted = await this.deps.repo.delete(accountId, recordingId);
    if (!deleted) {
      if (!(await this.deps.recordings.findById(accountId, recordingId))) throw notFound('recording_not_found', `recording ${recordingId} not found`);
      throw notFound('transcript_not_found', `recording ${recordingId} has no transcript`);
    }
    await this.removeRedactedMedia(deleted, await this.deps.recordings.findById(accountId, recordingId));
  }

  async getSettings(accountId: string): Promise<{ redact: boolean; redactAudio: boolean }> {
    const s = await this.deps.repo.getSettings(accountId);
    return { redact: s.redact ?? this.deps.redactDefault, redactAudio: s.redactAudio ?? this.deps.redactAudioDefault };
  }

  async putSettings(accountId: string, settings: TranscriptionSettings): Promise<{ redact: boolean; redactAudio: boolean }> {
    await this.deps.repo.putSettings(accountId, settings);
    return this.getSettings(accountId);
  }

  /** The stored redacted rendition, for signed media downloads (null when there is none). */
  async redactedMedia(recordingId: string, format: 'wav' | 'mp3'): Promise<StoredMedia | null> {
    const t = await this.deps.repo.findByRecordingUnscoped(recordingId);
    return t?.status === 'completed' ? (t.redactedMedia[format] ?? null) : null;
  }

  /**
   * transcription.run: transcribes each channel, merges, redacts, stores. Idempotent: a
   * finished or deleted transcript is left alone. Engine failures that retrying cannot fix
   * (and any failure on the last attempt) end the transcript `failed` with a code; the
   * recording is not touched. Returns normally then; throws to ask for a retry.
   */
  async run(recordingId: string, lastAttempt: boolean): Promise<void> {
    const transcript = await this.deps.repo.findByRecordingUnscoped(recordingId);
    if (!transcript || (transcript.status !== 'queued' && transcript.status !== 'in-progress')) return;
    await this.deps.repo.transition(recordingId, ['queued'], 'in-progress', this.deps.clock.now());
    const recording = await this.deps.recordings.findByIdUnscoped(recordingId);
    if (!recording) return; // deleted meanwhile; its transcript went with it
    try {
      let done = await this.transcribe(recording, transcript);
      if (done.options.redact && done.options.redactAudio) done = { ...done, redactedMedia: await this.writeRedactedAudio(recording, done) };
      // Deleted or re-requested while running: drop this result.
      const current = await this.deps.repo.findByRecordingUnscoped(recordingId);
      if (!current || current.id !== transcript.id) return;
      await this.deps.repo.save(done);
      // Only for media in the standard tier, where the redacted copy lives.
      if (done.redactedMedia.wav && this.deps.redactedAudio === 'remove-original' && recording.storageClass === 'standard') await this.replaceOriginal(recording, done.redactedMedia);
      await this.publish('transcription.completed', recordingId);
    } catch (err) {
      const engineError = err instanceof EngineError ? err : null;
      if (!lastAttempt && (engineError ? engineError.retryable : !(err instanceof MediaError))) throw err;
      const code = engineError?.code ?? (err instanceof MediaError ? 'audio_unreadable' : 'transcription_failed');
      const message = engineError || err instanceof MediaError ? (err as Error).message : `transcription failed: ${(err as Error).message}`;
      this.deps.log.warn({ recordingId, code, err: (err as Error).message }, 'transcription failed');
      const current = await this.deps.repo.findByRecordingUnscoped(recordingId);
      if (!current || current.id !== transcript.id) return;
      await this.deps.repo.save({ ...transcript, status: 'failed', errorCode: code, errorMessage: message, dateUpdated: this.deps.clock.now() });
      await this.publish('transcription.failed', recordingId);
    }
  }

  private async transcribe(recording: Recording, transcript: Transcript): Promise<Transcript> {
    if (!recording.media.wav) throw new MediaError('audio_empty', 'the recording has no WAV rendition to transcribe');
    const audio = decodeWav(await readAll(await this.deps.stores.of(recording.storageClass).get(recording.media.wav.key)));
    const channels = deinterleave(audio.samples, audio.channels);
    const language = transcript.options.language ?? this.deps.language;
    const perChannel: Array<{ channel: number; segments: EngineSegment[] }> = [];
    let detected: string | null = null;
    // Channels run side by side: with the offline engine each is its own process (one core each).
    await Promise.all(
      channels.map(async (samples, i) => {
        // A silent channel (one-sided track) has nothing to say; skip the engine.
        if (!samples.some((s) => s !== 0)) return;
        const result = await this.deps.engine.transcribe({ samples, sampleRate: audio.sampleRate, language });
        detected ??= result.language;
        perChannel.push({ channel: i + 1, segments: result.segments });
      }),
    );
    let segments = mergeChannels(perChannel, recording.details.channelMap);
    let redactions: Transcript['redactions'] = [];
    if (transcript.options.redact) ({ segments, redactions } = redactSegments(segments));
    return {
      ...transcript,
      status: 'completed',
      engine: this.deps.engine.name,
      language: detected ?? language ?? null,
      text: transcriptText(segments),
      segments,
      redactions,
      redactedMedia: {},
      errorCode: null,
      errorMessage: null,
      dateUpdated: this.deps.clock.now(),
    };
  }

  /** Writes the redacted WAV and MP3: the original with every redacted span silenced. */
  private async writeRedactedAudio(recording: Recording, transcript: Transcript): Promise<Transcript['redactedMedia']> {
    const original = decodeWav(await readAll(await this.deps.stores.of(recording.storageClass).get(recording.media.wav!.key)));
    const channels = original.channels as 1 | 2;
    const samples = silenceSpans(original.samples, channels, original.sampleRate, transcript.redactions);
    const wavKey = redactedMediaKey(recording.accountId, recording.id, 'wav');
    const wavStored = await this.deps.stores.standard.put(wavKey, encodeWav({ sampleRate: original.sampleRate, channels, samples }), { contentType: 'audio/wav' });
    const encoder = await Mp3StreamEncoder.create({ sampleRate: original.sampleRate, channels });
    const mp3 = Buffer.concat([encoder.encode(samples), encoder.finish()]);
    const mp3Key = redactedMediaKey(recording.accountId, recording.id, 'mp3');
    const mp3Stored = await this.deps.stores.standard.put(mp3Key, mp3, { contentType: 'audio/mpeg' });
    return {
      wav: { key: wavKey, bytes: wavStored.size, sha256: wavStored.sha256 },
      mp3: { key: mp3Key, bytes: mp3Stored.size, sha256: mp3Stored.sha256 },
    };
  }

  /** REDACTED_AUDIO=remove-original: the redacted copy becomes the recording's audio and the original is deleted. */
  private async replaceOriginal(recording: Recording, redacted: Transcript['redactedMedia']): Promise<void> {
    const keep = new Set([redacted.wav?.key, redacted.mp3?.key]);
    const oldKeys = Object.values(recording.media).map((m) => m!.key).filter((k) => !keep.has(k));
    await this.deps.recordings.update(recording.id, { media: { wav: redacted.wav, mp3: redacted.mp3 } }, this.deps.clock.now(), 'completed');
    await Promise.all(oldKeys.map((k) => this.deps.stores.standard.delete(k)));
  }

  private async queue(recording: Recording, options: TranscriptOptions): Promise<Transcript> {
    const now = this.deps.clock.now();
    const transcript: Transcript = {
      id: newId(TRANSCRIPT_ID_PREFIX, now.getTime()),
      recordingId: recording.id,
      accountId: recording.accountId,
      status: 'queued',
      engine: this.deps.engine.name,
      language: options.language ?? this.deps.language ?? null,
      text: null,
      segments: [],
      options,
      redactions: [],
      redactedMedia: {},
      errorCode: null,
      errorMessage: null,
      dateCreated: now,
      dateUpdated: now,
    };
    await this.deps.repo.save(transcript);
    await this.deps.jobs.send('transcription.run', { recordingId: recording.id }, { singletonKey: `transcribe:${recording.id}` });
    return transcript;
  }

  private async resolveOptions(accountId: string, req: TranscriptRequest): Promise<TranscriptOptions> {
    const account = await this.getSettings(accountId);
    const redactAudio = req.redactAudio ?? account.redactAudio;
    // Asking for redacted audio implies redacting the text it is made from.
    const redact = req.redact ?? (req.redactAudio ? true : account.redact);
    return { redact, redactAudio: redact && redactAudio, ...(req.language ? { language: req.language } : {}) };
  }

  private async publish(type: 'transcription.completed' | 'transcription.failed', recordingId: string): Promise<void> {
    const recording = await this.deps.recordings.findByIdUnscoped(recordingId);
    if (recording) await this.deps.events.publish(type, recording);
  }

  /** Removes a transcript's redacted blobs, except those that became the recording's own audio. */
  private async removeRedactedMedia(transcript: Transcript, recording: Recording | null): Promise<void> {
    const inUse = new Set(Object.values(recording?.media ?? {}).map((m) => m!.key));
    const keys = Object.values(transcript.redactedMedia).map((m) => m!.key).filter((k) => !inUse.has(k));
    if (keys.length) await Promise.all(keys.map((k) => this.deps.stores.standard.delete(k)));
  }

  private async deleteRedactedBlobs(accountId: string, recordingId: string): Promise<void> {
    await Promise.all((['wav', 'mp3'] as const).map((f) => this.deps.stores.standard.delete(redactedMediaKey(accountId, recordingId, f))));
  }
}
