/** Values of the seed contract's `status`; paused recordings stay `in-progress` with `paused: true`. */
export const RECORDING_STATUSES = ['in-progress', 'completed', 'failed'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/** What started a recording. */
export const RECORDING_SOURCES = ['upload', 'automatic', 'on-demand'] as const;
export type RecordingSource = (typeof RECORDING_SOURCES)[number];

export const MEDIA_FORMATS = ['wav', 'mp3'] as const;
export type MediaFormat = (typeof MEDIA_FORMATS)[number];

/** One stored rendition of a recording. */
export interface StoredMedia {
  key: string;
  bytes: number;
  sha256: string;
}

/** Which party is on which channel (1-based). */
export interface ChannelMapEntry {
  channel: number;
  participant: { aor?: string; name?: string; role?: string };
}

/** A DTMF digit heard during a live recording, ms from the recording's start. */
export interface DtmfEntry {
  digit: string;
  channel: number;
  startMs: number;
  durationMs: number;
}

/** Details kept as JSON: not filtered on, shown on the Recording. */
export interface RecordingDetails {
  channelMap?: ChannelMapEntry[];
  dtmf?: DtmfEntry[];
  /** Which parties a live recording keeps. */
  track?: 'both' | 'inbound' | 'outbound';
  /** A live recording is paused (its status stays in-progress, as the seed contract allows). */
  paused?: boolean;
  pauseBehavior?: 'silence' | 'skip';
  /** Per-recording webhook URL (on-demand starts). */
  statusCallback?: string;
  /** Transcribe once completed. */
  transcribe?: boolean;
  /** Upload option: redact the transcript (and, with redactAudio, the audio); absent = the account's setting. */
  redact?: boolean;
  redactAudio?: boolean;
  /** The recording rule that started it, if any. */
  ruleId?: string;
  /** Upload: the format the client sent, e.g. "wav/mulaw" or "mp3". */
  originalFormat?: string;
  /** Renditions encrypted with the account's own key: what the key holder needs to decrypt them. */
  encryption?: Partial<Record<MediaFormat, SealedMediaDetails>>;
}

/** How one rendition sealed with the account's public key is encrypted (see compliance/encryption). */
export interface SealedMediaDetails {
  algorithm: string;
  /** Plaintext bytes per chunk. */
  chunkSize: number;
  /** base64 of the 8-byte nonce prefix. */
  noncePrefix: string;
  /** base64 of the data key wrapped under the account's public key. */
  wrappedKey: string;
  keyWrap: string;
  /** SHA-256 of the public key (DER SubjectPublicKeyInfo), hex. */
  keyFingerprint: string;
}

export interface Recording {
  id: string;
  accountId: string;
  callId: string;
  status: RecordingStatus;
  source: RecordingSource;
  channels: 1 | 2;
  /** Hz; null until known. */
  sampleRate: number | null;
  durationMs: number;
  errorCode: string | null;
  errorMessage: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  media: Partial<Record<MediaFormat, StoredMedia>>;
  details: RecordingDetails;
  /** Which store holds the media: the primary one, or the archive tier. */
  storageClass: StorageClass;
  /** Covered by at least one active legal hold: neither the API nor retention may delete it. */
  legalHold: boolean;
  tags: string[];
  /** Set when retention removed the media but kept the recording's metadata. */
  mediaDeletedAt: Date | null;
  /** Outcome of the last integrity check of its stored media; absent until first checked. */
  integrity?: RecordingIntegrity;
  /** Status of its transcript (queued, in-progress, completed, failed); absent without one. */
  transcriptionStatus?: string;
  /** A redacted copy of its audio exists (served as `redacted.wav` / `redacted.mp3`); undefined when not looked up. */
  redactedAudio?: boolean;
}

export type StorageClass = 'standard' | 'archive';

/** What re-reading a recording's stored media found: every file matches its recorded SHA-256, or one differs, or one is gone. */
export const INTEGRITY_STATUSES = ['ok', 'corrupt', 'missing'] as const;
export type IntegrityStatus = (typeof INTEGRITY_STATUSES)[number];

/** The last integrity check of a recording (compliance/integrity). */
export interface RecordingIntegrity {
  status: IntegrityStatus;
  checkedAt: Date;
  /** Which files failed and how; null when ok. */
  detail: string | null;
}

/** Defaults for the storage-management fields of a brand-new recording. */
export const NEW_RECORDING_STORAGE = { storageClass: 'standard' as StorageClass, legalHold: false, tags: [] as string[], mediaDeletedAt: null };

/** Filters of `GET /recordings`. */
export interface RecordingFilter {
  /** Words the recording's transcript must contain (full-text search). */
  q?: string;
  /** Integrity check outcome; `failed` is corrupt or missing, `unchecked` never checked. */
  integrity?: IntegrityStatus | 'failed' | 'unchecked';
  callId?: string;
  status?: RecordingStatus;
  source?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** 1-based page of `size` items. */
export interface PageRequest {
  page: number;
  size: number;
}

/** Blob key of a recording's rendition; deterministic so a retried job overwrites instead of duplicating. */
export function mediaKey(accountId: string, recordingId: string, format: MediaFormat): string {
  return `recordings/${accountId}/${recordingId}.${format}`;
}

/**
 * Every key a recording's files can have in a tier: its renditions and the redacted copies
 * derived from them. Deleting all of them is how a tier forgets a recording.
 */
export function allMediaKeys(accountId: string, recordingId: string): string[] {
  const base = `recordings/${accountId}/${recordingId}`;
  return [`${base}.wav`, `${base}.mp3`, `${base}.redacted.wav`, `${base}.redacted.mp3`];
}

/** A recording can be downloaded in a format once that rendition is stored and the recording completed. */
export function isDownloadable(recording: Recording, format: MediaFormat): boolean {
  return recording.status === 'completed' && recording.media[format] !== undefined;
}
