import type { Clock } from '../../clock.js';
import { DomainError, notFound } from '../../errors.js';
import { newId } from '../../ids.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { PageRequest } from '../../recordings/recording.js';
import type { MediaStores } from '../../storage/blob/media-stores.js';
import { EXPORT_ID_PREFIX, exportKey, MAX_EXPORT_RECORDING_IDS, type ExportFilter, type ExportFormat, type ExportInclude, type ExportStatus, type RecordingExport } from './export.js';
import type { ExportRepository } from './export.repo.js';

/** What a client asks for. */
export interface ExportRequest {
  filter?: ExportFilter;
  format?: ExportFormat;
  include?: Partial<ExportInclude>;
}

/** `/exports`: requests bundles, shows their progress, deletes them (bundle included). */
export class ExportsService {
  constructor(
    private readonly deps: {
      repo: ExportRepository;
      jobs: JobQueue;
      stores: MediaStores;
      clock: Clock;
    },
  ) {}

  /** Records the export and queues its build. */
  async create(accountId: string, request: ExportRequest): Promise<RecordingExport> {
    const filter = request.filter ?? {};
    if (filter.recordingIds && filter.recordingIds.length > MAX_EXPORT_RECORDING_IDS) {
      throw new DomainError('invalid', 'too_many_recording_ids', `at most ${MAX_EXPORT_RECORDING_IDS} recording_ids per export; export larger sets by time range`, { parameter: 'filter.recording_ids' });
    }
    if (filter.createdAfter && filter.createdBefore && new Date(filter.createdAfter) >= new Date(filter.createdBefore)) {
      throw new DomainError('invalid', 'invalid_range', 'date_created_after must be before date_created_before', { parameter: 'filter.date_created_after' });
    }
    const now = this.deps.clock.now();
    const exp: RecordingExport = {
      id: newId(EXPORT_ID_PREFIX, now.getTime()),
      accountId,
      status: 'queued',
      format: request.format ?? 'tar',
      filter: { ...filter, ...(filter.recordingIds ? { recordingIds: [...new Set(filter.recordingIds)] } : {}) },
      include: { wav: request.include?.wav ?? true, mp3: request.include?.mp3 ?? true, transcripts: request.include?.transcripts ?? true },
      total: 0,
      done: 0,
      bytes: 0,
      error: null,
      blobKey: null,
      sha256: null,
      createdAt: now,
      startedAt: null,
      completedAt: null,
      updatedAt: now,
    };
    await this.deps.repo.insert(exp);
    try {
      await this.deps.jobs.send('export.build', { exportId: exp.id }, { singletonKey: `export:${exp.id}` });
    } catch (err) {
      await this.deps.repo.update(exp.id, { status: 'failed', error: 'the build could not be queued' }, this.deps.clock.now());
      throw err;
    }
    return exp;
  }

  async get(accountId: string, id: string): Promise<RecordingExport> {
    const exp = await this.deps.repo.get(accountId, id);
    if (!exp) throw notFound('export_not_found', `no export ${id}`);
    return exp;
  }

  list(accountId: string, filter: { status?: ExportStatus }, page: PageRequest): Promise<{ items: RecordingExport[]; total: number }> {
    return this.deps.repo.list(accountId, filter, page);
  }

  /** Deletes the export and its bundle; a build in progress notices and removes what it stored. */
  async delete(accountId: string, id: string): Promise<void> {
    const exp = await this.deps.repo.delete(accountId, id);
    if (!exp) throw notFound('export_not_found', `no export ${id}`);
    await this.deps.stores.standard.delete(exp.blobKey ?? exportKey(exp.accountId, exp.id, exp.format));
  }
}
