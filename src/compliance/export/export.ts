import type { RecordingStatus } from '../../recordings/recording.js';

/** Lifecycle of an export: queued → building → completed | failed (a retried build goes back to building). */
export const EXPORT_STATUSES = ['queued', 'building', 'completed', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const EXPORT_FORMATS = ['tar', 'zip'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Id prefix of exports (see ids.ts). */
export const EXPORT_ID_PREFIX = 'EX';

/** Most recording ids one export may name; larger sets are exported by time range. */
export const MAX_EXPORT_RECORDING_IDS = 1000;

/** Which recordings go into a bundle; times are ISO 8601 strings as given. Empty: all of the account's. */
export interface ExportFilter {
  recordingIds?: string[];
  callId?: string;
  status?: RecordingStatus;
  source?: string;
  createdAfter?: string;
  createdBefore?: string;
}

/** What each recording contributes besides its metadata.json. */
export interface ExportInclude {
  wav: boolean;
  mp3: boolean;
  transcripts: boolean;
}

/** An export bundle being built, or built. */
export interface RecordingExport {
  id: string;
  accountId: string;
  status: ExportStatus;
  format: ExportFormat;
  filter: ExportFilter;
  include: ExportInclude;
  /** Recordings matching the filter (counted when the build starts). */
  total: number;
  /** Recordings written into the bundle so far. */
  done: number;
  /** Bundle bytes written so far; the bundle's size once completed. */
  bytes: number;
  error: string | null;
  /** Blob key of the bundle once completed. */
  blobKey: string | null;
  /** SHA-256 of the whole bundle, hex, once completed. */
  sha256: string | null;
  /** Recordings created after this are never part of the bundle, so a rebuild exports the same set. */
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  updatedAt: Date;
}

/** Blob key of a bundle: deterministic, so a rebuilt bundle replaces the previous one. */
export function exportKey(accountId: string, exportId: string, format: ExportFormat): string {
  return `exports/${accountId}/${exportId}.${format}`;
}
