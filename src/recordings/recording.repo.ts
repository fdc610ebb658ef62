import type { PageRequest, Recording, RecordingFilter, RecordingStatus, StoredMedia, MediaFormat, RecordingDetails } from './recording.js';

/** Fields a state change may set. */
export interface RecordingPatch {
  status?: RecordingStatus;
  durationMs?: number;
  sampleRate?: number | null;
  channels?: 1 | 2;
  errorCode?: string | null;
  errorMessage?: string | null;
  media?: Partial<Record<MediaFormat, StoredMedia | null>>;
  details?: RecordingDetails;
}

/** Persistence of recordings; every read is scoped to an account unless named otherwise. */
export interface RecordingRepository {
  insert(recording: Recording): Promise<void>;
  findById(accountId: string, id: string): Promise<Recording | null>;
  /** Unscoped lookup for jobs and signed media URLs (whose signature already names the recording). */
  findByIdUnscoped(id: string): Promise<Recording | null>;
  list(accountId: string, filter: RecordingFilter, page: PageRequest): Promise<{ items: Recording[]; total: number }>;
  /**
   * Applies a patch; with `onlyIfStatus`, only when the row still has that status, so two
   * workers racing on one transition produce one visible change. Returns whether a row changed.
   */
  update(id: string, patch: RecordingPatch, now: Date, onlyIfStatus?: RecordingStatus): Promise<boolean>;
  /** Ids of in-progress recordings with at least one stored rendition, unchanged since `before` (their conversion stalled). */
  listStalledConversions(before: Date, limit: number): Promise<string[]>;
  /** Deletes the row; returns the deleted recording, or null when there was none. */
  delete(accountId: string, id: string): Promise<Recording | null>;
}
