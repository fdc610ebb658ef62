import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { notFound } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { MEDIA_FORMATS, type IntegrityStatus, type MediaFormat, type Recording, type StorageClass, type StoredMedia } from '../../recordings/recording.js';
import type { RecordingEventSink } from '../../recordings/recording-events.js';
import { BlobNotFoundError } from '../../storage/blob/blob-store.js';
import type { MediaStores } from '../../storage/blob/media-stores.js';
import type { StoredCheck } from '../encryption/encrypting-blob-store.js';
import { classifyReadError } from './read-errors.js';
import type { IntegrityRepository } from './integrity.repo.js';
import { inParallel } from '../../concurrency.js';

/** Which recordings a run re-reads. */
export type IntegrityScope = { mode: 'all' } | { mode: 'sample'; size: number } | { mode: 'recording'; recordingId: string };

/**
 * What re-reading one file found: `ok`, `corrupt` (other bytes than recorded, or a read the
 * storage refused as tampered, such as encrypted media failing authentication), `missing`,
 * `error` (storage unreachable: nothing is concluded) or `skipped` (the service cannot read
 * it, e.g. media sealed with the customer's own key and no stored-bytes check available).
 */
export type FileResult = IntegrityStatus | 'error' | 'skipped';

export interface FileCheck {
  format: MediaFormat;
  key: string;
  storageClass: StorageClass;
  result: FileResult;
  /** Why it is not ok, in words. */
  detail?: string;
  expectedSha256: string;
  actualSha256?: string;
  expectedBytes: number;
  actualBytes?: number;
}

/** A recording whose media is not as recorded (or could not be read). */
export interface IntegrityFinding {
  recordingId: string;
  accountId: string;
  status: 'corrupt' | 'missing' | 'error';
  /** The files that are not ok. */
  files: FileCheck[];
  /** First time this failure was seen (its webhook was sent now). */
  newlyFailed: boolean;
}

export interface IntegrityReport {
  mode: IntegrityScope['mode'];
  recordings: number;
  files: number;
  ok: number;
  corrupt: number;
  missing: number;
  errors: number;
  skipped: number;
  /** Recordings that turned corrupt or missing in this run (one webhook each). */
  newlyFailed: number;
  durationMs: number;
}

export interface IntegrityVerifierDeps {
  repo: IntegrityRepository;
  /** Re-reads a recording that failed, in case it changed while being checked (archived, media deleted). */
  findRecording(id: string): Promise<Recording | null>;
  stores: MediaStores;
  events: RecordingEventSink;
  clock: Clock;
  log: Logger;
  /**
   * Encryption at rest: checks an object's stored (encrypted) bytes against the SHA-256
   * recorded for them, without any key; used for media the service cannot decrypt
   * (sealed with the customer's own key). `encrypted: false` for plaintext objects.
   */
  verifyStored?: (storageClass: StorageClass, key: string) => Promise<StoredCheck>;
  /** Called once per recording that newly turned corrupt or missing (the audit trail). */
  onNewFailure?: (recording: Recording, status: 'corrupt' | 'missing', detail: string) => void;
  /** Called once per file checked (the Prometheus counter). */
  onFileChecked?: (result: FileResult) => void;
  /** Recordings loaded per query. */
  batchSize?: number;
  /** Files read at once. */
  concurrency?: number;
}

function sameMedia(a: Recording, b: Recording): boolean {
  return a.storageClass === b.storageClass && MEDIA_FORMATS.every((f) => a.media[f]?.key === b.media[f]?.key && a.media[f]?.sha256 === b.media[f]?.sha256);
}

/** One line per failed file, for the recording's `integrity.detail`. */
export function describeFailures(files: FileCheck[]): string {
  return files
    .filter((f) => f.result !== 'ok')
    .map((f) => `${f.format} (${f.storageClass} ${f.key}): ${f.detail ?? f.result}`)
    .join('; ');
}

/**
 * Re-reads stored media through the media stores (plaintext, decrypted where encrypted),
 * hashes it and compares with the SHA-256 and size recorded when it was written. The outcome
 * is recorded per recording (`integrity` on the Recording), counted per file, and a newly
 * corrupt or missing recording sends one `recording.integrity_failed` webhook.
 */
export class IntegrityVerifier {
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(private readonly deps: IntegrityVerifierDeps) {
    this.batchSize = deps.batchSize ?? 200;
    this.concurrency = deps.concurrency ?? 4;
  }

  /** Checks the recordings in `scope`; `onFinding` hears about every recording that is not ok as it is found. */
  async verify(scope: IntegrityScope, onFinding?: (finding: IntegrityFinding) => void): Promise<IntegrityReport> {
    const started = performance.now();
    const report: IntegrityReport = { mode: scope.mode, recordings: 0, files: 0, ok: 0, corrupt: 0, missing: 0, errors: 0, skipped: 0, newlyFailed: 0, durationMs: 0 };
    const run = async (batch: Recording[]) => inParallel(batch, this.concurrency, async (r) => this.checkAndRecord(r, report, onFinding));

    if (scope.mode === 'recording') {
      const found = await this.deps.repo.byIds([scope.recordingId]);
      if (found.length === 0) throw notFound('recording_not_found', `no recording ${scope.recordingId}`);
      await run(found);
    } else if (scope.mode === 'sample') {
      const ids = await this.deps.repo.sampleIds(scope.size);
      for (let i = 0; i < ids.length; i += this.batchSize) await run(await this.deps.repo.byIds(ids.slice(i, i + this.batchSize)));
    } else {
      // Keyset pagination by id: rows added or removed during the run never shift a page.
      let after = '';
      for (;;) {
        const batch = await this.deps.repo.checkableAfter(after, this.batchSize);
        if (batch.length === 0) break;
        after = batch[batch.length - 1].id;
        await run(batch);
      }
    }
    report.durationMs = Math.round(performance.now() - started);
    this.deps.log.info({ ...report }, 'integrity check finished');
    return report;
  }

  /** Recordings currently marked corrupt and missing (the failure gauge). */
  failureCounts(): Promise<{ corrupt: number; missing: number }> {
    return this.deps.repo.failureCounts();
  }

  private async checkAndRecord(recording: Recording, report: IntegrityReport, onFinding?: (finding: IntegrityFinding) => void): Promise<void> {
    const outcome = await this.checkRecording(recording);
    if (!outcome) return;
    const { current, files, status } = outcome;
    report.recordings++;
    for (const f of files) {
      report.files++;
      report[f.result === 'error' ? 'errors' : f.result]++;
      this.deps.onFileChecked?.(f.result);
    }
    if (status === 'skipped') return;
    if (status === 'error') {
      onFinding?.({ recordingId: current.id, accountId: current.accountId, status, files: files.filter((f) => f.result !== 'ok'), newlyFailed: false });
      return;
    }
    const checkedAt = this.deps.clock.now();
    const detail = status === 'ok' ? null : describeFailures(files);
    const { newlyFailed } = await this.deps.repo.record(current.id, status, checkedAt, detail);
    if (status === 'ok') return;
    if (newlyFailed) {
      report.newlyFailed++;
      this.deps.log.error({ recordingId: current.id, accountId: current.accountId, status, detail }, 'stored media failed its integrity check');
      this.deps.onNewFailure?.(current, status, detail ?? '');
      await this.deps.events.publish('recording.integrity_failed', { ...current, integrity: { status, checkedAt, detail } }, { dedupeKey: `integrity_failed:${current.id}:${status}:${checkedAt.toISOString()}` });
    }
    onFinding?.({ recordingId: current.id, accountId: current.accountId, status, files: files.filter((f) => f.result !== 'ok'), newlyFailed });
  }

  /**
   * Checks every stored rendition. A failure is confirmed against a fresh read of the row:
   * if the recording changed meanwhile (archived, media deleted, gone) the new state is
   * checked instead, so a concurrent retention sweep is not mistaken for lost media.
   */
  private async checkRecording(recording: Recording, confirmed = false): Promise<{ current: Recording; files: FileCheck[]; status: FileResult } | null> {
    const files: FileCheck[] = [];
    for (const format of MEDIA_FORMATS) {
      const media = recording.media[format];
      if (media) files.push(await this.checkFile(recording.storageClass, format, media));
    }
    const failed = files.some((f) => f.result === 'corrupt' || f.result === 'missing');
    if (failed && !confirmed) {
      const fresh = await this.deps.findRecording(recording.id);
      if (!fresh || fresh.mediaDeletedAt || fresh.status === 'in-progress') return null;
      if (!sameMedia(recording, fresh)) return this.checkRecording(fresh, true);
    }
    if (files.length === 0) return null;
    const has = (r: FileResult) => files.some((f) => f.result === r);
    const status: FileResult = has('missing') ? 'missing' : has('corrupt') ? 'corrupt' : has('error') ? 'error' : has('ok') ? 'ok' : 'skipped';
    return { current: recording, files, status };
  }

  /** Reads one file whole, hashing as it streams (memory: one chunk). A transient failure is retried once. */
  async checkFile(storageClass: StorageClass, format: MediaFormat, media: StoredMedia, attempt = 1): Promise<FileCheck> {
    const base = { format, key: media.key, storageClass, expectedSha256: media.sha256, expectedBytes: media.bytes };
    if (!media.sha256) return { ...base, result: 'skipped', detail: 'no SHA-256 was recorded for this file' };
    const store = this.deps.stores.of(storageClass);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const stream = await store.get(media.key);
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    } catch (err) {
      if (err instanceof BlobNotFoundError) return { ...base, result: 'missing', detail: 'the stored object is missing' };
      const kind = classifyReadError(err);
      const message = err instanceof Error ? err.message : String(err);
      if (kind === 'transient') {
        if (attempt === 1) {
          await new Promise((r) => setTimeout(r, 250));
          return this.checkFile(storageClass, format, media, 2);
        }
        return { ...base, result: 'error', detail: `storage could not be read: ${message}` };
      }
      if (kind === 'sealed') return this.checkSealed(base, message);
      return { ...base, result: 'corrupt', actualBytes: bytes, detail: `reading failed after ${bytes} bytes: ${message}` };
    }
    const actualSha256 = hash.digest('hex');
    if (bytes !== media.bytes || actualSha256 !== media.sha256) {
      return {
        ...base,
        result: 'corrupt',
        actualSha256,
        actualBytes: bytes,
        detail: `content differs from what was recorded (SHA-256 ${media.sha256} expected, ${actualSha256} read; ${media.bytes} bytes expected, ${bytes} read)`,
      };
    }
    return { ...base, result: 'ok', actualSha256, actualBytes: bytes };
  }

  /** Media the service cannot decrypt (sealed with the customer's key): check the stored bytes when the store can. */
  private async checkSealed(base: Omit<FileCheck, 'result'>, message: string): Promise<FileCheck> {
    if (!this.deps.verifyStored) return { ...base, result: 'skipped', detail: `not readable by the service: ${message}` };
    try {
      const check = await this.deps.verifyStored(base.storageClass, base.key);
      if (!check.encrypted) return { ...base, result: 'skipped', detail: `not readable by the service: ${message}` };
      if (check.ok) return { ...base, result: 'ok', detail: 'encrypted with the customer key: stored bytes match their recorded SHA-256' };
      return {
        ...base,
        result: 'corrupt',
        detail: `stored (encrypted) bytes differ from what was recorded (SHA-256 ${check.expectedSha256} expected, ${check.actualSha256} read; ${check.expectedBytes} bytes expected, ${check.actualBytes} read)`,
      };
    } catch (err) {
      if (err instanceof BlobNotFoundError) return { ...base, result: 'missing', detail: 'the stored object is missing' };
      return { ...base, result: 'error', detail: `storage could not be read: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
