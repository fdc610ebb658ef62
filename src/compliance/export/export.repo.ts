import type { PageRequest, Recording } from '../../recordings/recording.js';
import type { ExportFilter, ExportStatus, RecordingExport } from './export.js';

/** Fields a build may change. */
export type ExportPatch = Partial<Pick<RecordingExport, 'status' | 'total' | 'done' | 'bytes' | 'error' | 'blobKey' | 'sha256' | 'startedAt' | 'completedAt'>>;

/** Persistence of exports, and the recordings an export selects. */
export interface ExportRepository {
  insert(e: RecordingExport): Promise<void>;
  get(accountId: string, id: string): Promise<RecordingExport | null>;
  /** For the build job, which knows only the id. */
  getUnscoped(id: string): Promise<RecordingExport | null>;
  /** Newest first. */
  list(accountId: string, filter: { status?: ExportStatus }, page: PageRequest): Promise<{ items: RecordingExport[]; total: number }>;
  /** Applies a patch (with `onlyIfStatus`, only from that status); returns whether the row changed. */
  update(id: string, patch: ExportPatch, now: Date, onlyIfStatus?: ExportStatus): Promise<boolean>;
  /** Removes the row; returns it as it was, or null. */
  delete(accountId: string, id: string): Promise<RecordingExport | null>;
  /** Recordings of the account matching the filter, created at or before `upTo`. */
  countRecordings(accountId: string, filter: ExportFilter, upTo: Date): Promise<number>;
  /** The next `limit` of those recordings by id after `afterId` (keyset pagination: stable while rows come and go). */
  recordingsAfter(accountId: string, filter: ExportFilter, upTo: Date, afterId: string, limit: number): Promise<Recording[]>;
}
