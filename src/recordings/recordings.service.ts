import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import { ID_PREFIX, newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { BlobStore } from '../storage/blob/blob-store.js';
import type { MediaStores } from '../storage/blob/media-stores.js';
import { DomainError } from '../errors.js';
import { inspectUpload } from './upload-audio.js';
import { mediaKey, type PageRequest, type Recording, type RecordingDetails, type RecordingFilter, NEW_RECORDING_STORAGE } from './recording.js';
import type { RecordingRepository } from './recording.repo.js';
import type { RecordingEventSink } from './recording-events.js';

export interface RecordingsDeps {
  repo: RecordingRepository;
  /** What `get` and `list` read through (the recording cache); the repository when absent. */
  reader?: Pick<RecordingRepository, 'findById' | 'list'>;
  blobs: BlobStore;
  stores: MediaStores;
  jobs: JobQueue;
  events: RecordingEventSink;
  clock: Clock;
  log: Logger;
}

/** The recording lifecycle as the API sees it: list, read, upload, delete. */
export class RecordingsService {
  constructor(private readonly deps: RecordingsDeps) {}

  /** One recording of the account; 404 for unknown ids and for other accounts' ids alike. */
  async get(accountId: string, id: string): Promise<Recording> {
    const recording = await (this.deps.reader ?? this.deps.repo).findById(accountId, id);
    if (!recording) throw notFound('recording_not_found', `recording ${id} not found`);
    return recording;
  }

  /** A page of the account's recordings, newest first, and the count of all matches. */
  list(accountId: string, filter: RecordingFilter, page: PageRequest): Promise<{ items: Recording[]; total: number; snippets?: Record<string, string> }> {
    return (this.deps.reader ?? this.deps.repo).list(accountId, filter, page);
  }

  /**
   * Stores an uploaded file as a new recording. The body is checked completely first,
   * so a bad upload leaves no row and no file; the second format is made by a job.
   */
  async createFromUpload(accountId: string, body: Buffer, callId?: string, tags: string[] = [], transcription: Pick<RecordingDetails, 'transcribe' | 'redact' | 'redactAudio'> = {}): Promise<Recording> {
    const upload = inspectUpload(body);
    const now = this.deps.clock.now();
    const id = newId(ID_PREFIX.recording, now.getTime());
    const key = mediaKey(accountId, id, upload.rendition.format);
    const stored = await this.deps.blobs.put(key, upload.rendition.bytes, { contentType: upload.rendition.contentType });
    const recording: Recording = {
      id,
      accountId,
      callId: callId ?? newId(ID_PREFIX.call, now.getTime()),
      status: 'in-progress',
      source: 'upload',
      channels: upload.channels,
      sampleRate: upload.sampleRate,
      durationMs: upload.durationMs,
      errorCode: null,
      errorMessage: null,
      dateCreated: now,
      dateUpdated: now,
      media: { [upload.rendition.format]: { key, bytes: stored.size, sha256: stored.sha256 } },
      details: { originalFormat: upload.originalFormat, ...transcription },
      ...NEW_RECORDING_STORAGE,
      tags,
    };
    try {
      await this.deps.repo.insert(recording);
      await this.deps.jobs.send('recording.transcode', { recordingId: id }, { singletonKey: `transcode:${id}` });
    } catch (err) {
      // Nothing half-made stays behind: no row without its job, no file without its row.
      await this.deps.repo.delete(accountId, id).catch(() => undefined);
      await this.deps.blobs.delete(key).catch(() => undefined);
      throw err;
    }
    await this.deps.events.publish('recording.in-progress', recording);
    return recording;
  }

  /** Deletes a recording and its media; media URLs stop working at once because the row is gone. */
  async delete(accountId: string, id: string): Promise<void> {
    const deleted = await this.deps.repo.delete(accountId, id);
    if (!deleted) {
      const existing = await this.deps.repo.findById(accountId, id);
      if (existing?.legalHold) throw new DomainError('conflict', 'legal_hold', `recording ${id} is under legal hold and cannot be deleted until the hold is released`);
      throw notFound('recording_not_found', `recording ${id} not found`);
    }
    await this.removeMedia(deleted);
    await this.deps.events.publish('recording.deleted', deleted);
  }

  /** Deletes a removed recording's files from its tier; on a storage error, retries in the background. */
  removeMedia(deleted: Recording): Promise<void> {
    return this.removeMediaOf([deleted]);
  }

  /** `removeMedia` for many recordings: one batch removal per tier (a retention sweep's batch). */
  async removeMediaOf(deleted: Recording[]): Promise<void> {
    for (const storageClass of ['standard', 'archive'] as const) {
      const ofTier = deleted.filter((r) => r.storageClass === storageClass);
      const keys = ofTier.flatMap((r) => Object.values(r.media).map((m) => m!.key));
      if (keys.length === 0) continue;
      try {
        await this.deps.stores.of(storageClass).deleteMany(keys);
      } catch (err) {
        // Storage hiccup: the rows are gone, so retry the file removal in the background until it succeeds.
        this.deps.log.warn({ err, recordingIds: ofTier.slice(0, 20).map((r) => r.id), recordings: ofTier.length }, 'media delete failed; queued for retry');
        await this.deps.jobs.send('media.delete', { keys, storageClass });
      }
    }
  }

  /** Fails a recording with a code the client can act on. */
  async markFailed(recording: Recording, code: string, message: string): Promise<void> {
    const changed = await this.deps.repo.update(recording.id, { status: 'failed', errorCode: code, errorMessage: message }, this.deps.clock.now(), 'in-progress');
    if (changed) await this.deps.events.publish('recording.failed', { ...recording, status: 'failed', errorCode: code, errorMessage: message });
  }
}
