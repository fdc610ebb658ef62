import type { PageRequest, Recording, RecordingFilter, RecordingStatus, StoredMedia, MediaFormat, RecordingDetails, StorageClass } from './recording.js';

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
  storageClass?: StorageClass;
  tags?: string[];
  mediaDeletedAt?: Date | null;
}

/** Persistence of recordings; every read is scoped to an account unless named otherwise. */
export interface RecordingRepository {
  insert(recording: Recording): Promise<void>;
  findById(accountId: string, id: string): Promise<Recording | null>;
  /** Unscoped lookup for jobs and signed media URLs (whose signature already names the recording). */
  findByIdUnscoped(id: string): Promise<Recording | null>;
  /** These recordings, of any account, in no particular order; ids with no recording are left out. */
  findManyByIdUnscoped(ids: string[]): Promise<Recording[]>;
  /**
   * The ids of one page of `list` (a filter without `q`), in its order, and the total: read
   * from the filter's index alone, for callers that hold the recordings themselves.
   */
  listIds(accountId: string, filter: Omit<RecordingFilter, 'q'>, page: PageRequest): Promise<{ ids: string[]; total: number }>;
  /** With `filter.q`, `snippets` maps recording id → excerpt of its transcript around the match. */
  list(accountId: string, filter: RecordingFilter, page: PageRequest): Promise<{ items: Recording[]; total: number; snippets?: Record<string, string> }>;
  /**
   * Applies a patch; with `onlyIfStatus`, only when the row still has that status, so two
   * workers racing on one transition produce one visible change. Returns whether a row changed.
   */
  update(id: string, patch: RecordingPatch, now: Date, onlyIfStatus?: RecordingStatus): Promise<boolean>;
  /** Ids of in-progress recordings with at least one stored rendition, unchanged since `before` (their conversion stalled). */
  listStalledConversions(before: Date, limit: number): Promise<string[]>;
  /**
   * Moves an unheld recording from the standard to the archive tier and marks the follow-up
   * pending; returns whether it moved (false: another run got there first).
   */
  markArchived(id: string, now: Date): Promise<boolean>;
  /** Recordings of an account whose retention follow-up (`archived`, `media_deleted`) is pending. */
  listRetentionPending(accountId: string, limit: number): Promise<Array<{ recording: Recording; pending: 'archived' | 'media_deleted' }>>;
  /** The follow-up is done. */
  clearRetentionPending(id: string): Promise<void>;
  /** Forgets an unheld recording's media (keeping its metadata) once, marking the follow-up pending; returns the recording as it was, or null. */
  clearMedia(id: string, now: Date): Promise<Recording | null>;
  /**
   * Deletes the unheld ones among these recordings of an account in one statement; returns,
   * for each deleted, what its files were as the delete saw them (the caller holds the rest:
   * a retention sweep's batch deletes thousands a second, and whole rows back cost more than the delete).
   */
  deleteMany(accountId: string, ids: string[]): Promise<Array<Pick<Recording, 'id' | 'storageClass' | 'media'>>>;
  /** Deletes the row unless it is under legal hold; returns the deleted recording, or null when there was none. */
  delete(accountId: string, id: string): Promise<Recording | null>;
}
