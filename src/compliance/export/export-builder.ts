import { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { isDownloadable, type MediaFormat, type Recording, type StorageClass } from '../../recordings/recording.js';
import { BlobNotFoundError } from '../../storage/blob/blob-store.js';
import type { MediaStores } from '../../storage/blob/media-stores.js';
import { classifyReadError } from '../integrity/read-errors.js';
import { ArchiveContentError, type ArchiveWriter, type WrittenEntry } from './archive-writer.js';
import { MANIFEST_JSON, MANIFEST_SHA256, measure, renderChecksums, renderManifest, type SpoolRecord } from './bundle-manifest.js';
import { EntrySpool } from './entry-spool.js';
import { exportKey, type RecordingExport } from './export.js';
import type { ExportRepository } from './export.repo.js';
import { TarWriter } from './tar-writer.js';
import type { TranscriptReader } from './transcript-reader.js';
import { ZipWriter } from './zip-writer.js';

/** The stored bytes of a file only its account's key decrypts. */
export interface SealedFile {
  bytes: number;
  sha256: string;
  open(): Promise<Readable>;
}

/** Stored media differs from what was recorded when it was written: the export fails rather than ship it. */
export class ExportIntegrityError extends Error {}

/** The export was deleted while being built. */
class ExportCancelled extends Error {}

export interface ExportBuilderDeps {
  repo: ExportRepository;
  stores: MediaStores;
  /** The API representation of a recording (RecordingViewer.view): metadata.json is what GET /recordings/{id} shows. */
  viewRecording(recording: Recording): object;
  /**
   * Encryption at rest: the stored bytes of media sealed with the account's own key (the
   * service cannot decrypt it), or null. Such files go into the bundle as they are stored,
   * as `<id>.<format>.enc`, as the media download serves them; metadata.json's
   * `encryption_details` says how to open them.
   */
  sealedMedia?: (storageClass: StorageClass, key: string) => Promise<SealedFile | null>;
  /** Transcripts, when the transcription module provides them. */
  transcripts?: TranscriptReader;
  clock: Clock;
  log: Logger;
  /** Recordings loaded per query. */
  batchSize?: number;
  /** Least time between two progress writes, ms. */
  progressIntervalMs?: number;
}

const CONTENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Builds export bundles: one folder per recording (its audio files, metadata.json, its
 * transcript files) and, at the end, manifest.json and MANIFEST.sha256 listing every file
 * with its size and SHA-256. The bundle is streamed straight into the blob store:
 * recordings are read in batches by id and each file is piped through, so memory stays
 * bounded whatever the bundle's size (file records are spooled to a temporary file).
 */
export class ExportBuilder {
  private readonly batchSize: number;
  private readonly progressIntervalMs: number;

  constructor(private readonly deps: ExportBuilderDeps) {
    this.batchSize = deps.batchSize ?? 100;
    this.progressIntervalMs = deps.progressIntervalMs ?? 1000;
  }

  /**
   * Builds (or rebuilds) one export. A completed or deleted export is left as it is. On
   * failure the export goes back to `queued` (a retry follows) or, on the final attempt or
   * an integrity failure, to `failed` with the reason; the error is rethrown for the queue.
   */
  async build(exportId: string, opts: { finalAttempt?: boolean } = {}): Promise<'built' | 'skipped' | 'cancelled'> {
    const exp = await this.deps.repo.getUnscoped(exportId);
    if (!exp || exp.status === 'completed') return 'skipped';
    const { repo, clock } = this.deps;
    if (!(await repo.update(exp.id, { status: 'building', done: 0, bytes: 0, error: null, startedAt: clock.now(), completedAt: null }, clock.now()))) return 'cancelled';
    const key = exportKey(exp.accountId, exp.id, exp.format);
    const writer: ArchiveWriter = exp.format === 'zip' ? new ZipWriter() : new TarWriter();
    const spool = await EntrySpool.open<SpoolRecord>();
    const progress = { done: 0, lastWrite: 0 };
    let body: Readable | undefined;
    try {
      const total = await repo.countRecordings(exp.accountId, exp.filter, exp.createdAt);
      await repo.update(exp.id, { total }, clock.now());
      body = Readable.from(this.bundle(exp, writer, spool, progress), { objectMode: false });
      const stored = await this.deps.stores.standard.put(key, body, { contentType: writer.contentType });
      const completed = await repo.update(
        exp.id,
        { status: 'completed', total: progress.done, done: progress.done, bytes: stored.size, sha256: stored.sha256, blobKey: key, error: null, completedAt: clock.now() },
        clock.now(),
        'building',
      );
      if (!completed) throw new ExportCancelled();
      this.deps.log.info({ exportId: exp.id, accountId: exp.accountId, recordings: progress.done, files: spool.size, bytes: stored.size }, 'export bundle built');
      return 'built';
    } catch (err) {
      // A store that gave up leaves the generator suspended: end it, closing the file it was reading.
      body?.destroy();
      if (err instanceof ExportCancelled || !(await repo.getUnscoped(exp.id))) {
        // Deleted while building: whatever was stored goes too.
        await this.deps.stores.standard.delete(key).catch(() => undefined);
        return 'cancelled';
      }
      const message = err instanceof Error ? err.message : String(err);
      const final = opts.finalAttempt !== false || err instanceof ExportIntegrityError;
      this.deps.log.warn({ exportId: exp.id, err: message, final }, 'export build failed');
      await repo
        .update(exp.id, final ? { status: 'failed', error: message, completedAt: clock.now() } : { status: 'queued', error: `retrying after: ${message}` }, clock.now())
        .catch(() => undefined);
      throw err;
    } finally {
      await spool.dispose();
    }
  }

  /** The bundle's bytes, produced on demand as the store reads them. */
  private async *bundle(exp: RecordingExport, writer: ArchiveWriter, spool: EntrySpool<SpoolRecord>, progress: { done: number; lastWrite: number }): AsyncGenerator<Buffer> {
    const root = `${exp.id}/`;
    const mtime = exp.createdAt;
    let after = '';
    for (;;) {
      const batch = await this.deps.repo.recordingsAfter(exp.accountId, exp.filter, exp.createdAt, after, this.batchSize);
      if (batch.length === 0) break;
      after = batch[batch.length - 1].id;
      for (const recording of batch) {
        yield* this.recordingFiles(exp, recording, root, writer, spool);
        progress.done++;
        await this.reportProgress(exp.id, progress, writer.bytesWritten);
      }
    }
    await this.reportProgress(exp.id, progress, writer.bytesWritten, true);

    const head = {
      format: 'telefonie-export',
      version: 1,
      export_id: exp.id,
      account_id: exp.accountId,
      created_at: exp.createdAt.toISOString(),
      filter: filterView(exp),
      include: { wav: exp.include.wav, mp3: exp.include.mp3, transcripts: exp.include.transcripts && Boolean(this.deps.transcripts) },
      ...(exp.include.transcripts && !this.deps.transcripts ? { transcripts_unavailable: 'this server has no transcript source wired into exports' } : {}),
      recording_count: progress.done,
      file_count: await countFiles(spool),
    };
    const manifest = renderManifest(head, spool, root);
    const manifestEntry = yield* writer.file({ path: `${root}${MANIFEST_JSON}`, size: await measure(manifest), mtime }, manifest());
    await spool.append({ kind: 'meta', entry: manifestEntry });
    const sums = renderChecksums(spool, root);
    const sumsEntry = yield* writer.file({ path: `${root}${MANIFEST_SHA256}`, size: await measure(sums), mtime }, sums());
    await spool.append({ kind: 'meta', entry: sumsEntry });
    yield* writer.end(writtenEntries(spool));
  }

  /** One recording's folder: audio renditions asked for, metadata.json, transcript files. */
  private async *recordingFiles(exp: RecordingExport, recording: Recording, root: string, writer: ArchiveWriter, spool: EntrySpool<SpoolRecord>): AsyncGenerator<Buffer> {
    const dir = `${root}recordings/${recording.id}/`;
    const mtime = exp.createdAt;
    for (const format of ['wav', 'mp3'] as MediaFormat[]) {
      if (!exp.include[format] || !isDownloadable(recording, format)) continue;
      const stored = recording.media[format]!;
      const sealed = await this.deps.sealedMedia?.(recording.storageClass, stored.key);
      const media = sealed ? { key: stored.key, bytes: sealed.bytes, sha256: sealed.sha256 } : stored;
      const path = `${dir}${recording.id}.${format}${sealed ? '.enc' : ''}`;
      let stream: Readable;
      try {
        stream = sealed ? await sealed.open() : await this.deps.stores.of(recording.storageClass).get(media.key);
      } catch (err) {
        if (!(err instanceof BlobNotFoundError)) throw err;
        await spool.append({ kind: 'missing', path, recordingId: recording.id, format, reason: 'the stored object is missing' });
        continue;
      }
      let entry: WrittenEntry;
      try {
        entry = yield* writer.file({ path, size: media.bytes, mtime }, stream);
      } catch (err) {
        stream.destroy();
        const check = `check it with "telefonie verify --recording ${recording.id}"`;
        if (err instanceof ArchiveContentError) throw new ExportIntegrityError(`recording ${recording.id} ${format}: ${err.message.slice(path.length + 2)}; its stored media does not match what was recorded (${check})`);
        // Encrypted media failing authentication, a disk I/O error: retrying will not help.
        if (classifyReadError(err) === 'corrupt') throw new ExportIntegrityError(`recording ${recording.id} ${format}: its stored media could not be read (${err instanceof Error ? err.message : String(err)}; ${check})`);
        throw err;
      }
      if (media.sha256 && entry.sha256 !== media.sha256) {
        throw new ExportIntegrityError(`recording ${recording.id} ${format}: the stored media does not match its recorded SHA-256 (check it with "telefonie verify --recording ${recording.id}")`);
      }
      await spool.append({ kind: 'file', entry, recordingId: recording.id });
    }

    const view = { ...(this.deps.viewRecording(recording) as Record<string, unknown>) };
    // Signed URLs expire; the bundle carries the files themselves.
    delete view.media_url;
    delete view.media_urls;
    const metadata = Buffer.from(JSON.stringify(view, null, 2) + '\n', 'utf8');
    const metaEntry = yield* writer.file({ path: `${dir}metadata.json`, size: metadata.length, mtime }, [metadata]);
    await spool.append({ kind: 'file', entry: metaEntry, recordingId: recording.id });

    if (exp.include.transcripts && this.deps.transcripts) {
      for (const file of await this.deps.transcripts.filesFor(recording)) {
        if (!CONTENT_NAME.test(file.name) || file.name === 'metadata.json' || /\.(wav|mp3)$/.test(file.name)) throw new Error(`transcript file name not allowed: ${file.name}`);
        const entry = yield* writer.file({ path: `${dir}${file.name}`, size: file.content.length, mtime }, [file.content]);
        await spool.append({ kind: 'file', entry, recordingId: recording.id });
      }
    }
  }

  /** Writes done/bytes at most every progressIntervalMs; notices an export deleted meanwhile. */
  private async reportProgress(exportId: string, progress: { done: number; lastWrite: number }, bytes: number, force = false): Promise<void> {
    const nowMs = Date.now();
    if (!force && nowMs - progress.lastWrite < this.progressIntervalMs) return;
    progress.lastWrite = nowMs;
    if (!(await this.deps.repo.update(exportId, { done: progress.done, bytes }, this.deps.clock.now(), 'building'))) throw new ExportCancelled();
  }
}

/** The filter as the API and the manifest show it. */
export function filterView(exp: Pick<RecordingExport, 'filter'>): Record<string, unknown> {
  const f = exp.filter;
  const out: Record<string, unknown> = {};
  if (f.recordingIds) out.recording_ids = f.recordingIds;
  if (f.callId !== undefined) out.call_id = f.callId;
  if (f.status !== undefined) out.status = f.status;
  if (f.source !== undefined) out.source = f.source;
  if (f.createdAfter !== undefined) out.date_created_after = f.createdAfter;
  if (f.createdBefore !== undefined) out.date_created_before = f.createdBefore;
  return out;
}

async function countFiles(spool: EntrySpool<SpoolRecord>): Promise<number> {
  let n = 0;
  for await (const record of spool.read()) if (record.kind === 'file') n++;
  return n;
}

async function* writtenEntries(spool: EntrySpool<SpoolRecord>): AsyncGenerator<WrittenEntry> {
  for await (const record of spool.read()) if (record.kind !== 'missing') yield record.entry;
}
