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
  /** The recording rule that started it, if any. */
  ruleId?: string;
  /** Upload: the format the client sent, e.g. "wav/mulaw" or "mp3". */
  originalFormat?: string;
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
}

/** Filters of `GET /recordings`. */
export interface RecordingFilter {
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

/** A recording can be downloaded in a format once that rendition is stored and the recording completed. */
export function isDownloadable(recording: Recording, format: MediaFormat): boolean {
  return recording.status === 'completed' && recording.media[format] !== undefined;
}
