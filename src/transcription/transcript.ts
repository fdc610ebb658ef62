import type { StoredMedia } from '../recordings/recording.js';

/** Lifecycle of a transcript. */
export const TRANSCRIPT_STATUSES = ['queued', 'in-progress', 'completed', 'failed'] as const;
export type TranscriptStatus = (typeof TRANSCRIPT_STATUSES)[number];

/** Kinds of sensitive data redaction finds; the marker is `[REDACTED:<type>]`. */
export const REDACTION_TYPES = ['credit_card', 'security_code', 'ssn', 'email', 'phone'] as const;
export type RedactionType = (typeof REDACTION_TYPES)[number];

/** One recognised word; times in seconds from the start of the recording, confidence 0..1. */
export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
}

/** One stretch of speech by one party. */
export interface TranscriptSegment {
  /** 1-based channel of the recording the speech is on. */
  channel: number;
  /** Who spoke, from the recording's channel_map (else "Speaker N"). */
  speaker: string;
  start: number;
  end: number;
  text: string;
  confidence: number;
  words: TranscriptWord[];
}

/** Where one piece of sensitive data was removed. */
export interface RedactionEntry {
  type: RedactionType;
  channel: number;
  /** Index of the segment holding the marker. */
  segment: number;
  /** Character offsets [start, end) of the `[REDACTED:type]` marker in the transcript's `text`. */
  text_start: number;
  text_end: number;
  /** Audio span the redacted words covered, seconds. */
  start: number;
  end: number;
}

/** What a transcript request asked for. */
export interface TranscriptOptions {
  redact: boolean;
  /** Also make a copy of the audio with the redacted spans silenced. */
  redactAudio: boolean;
  /** BCP 47 / ISO 639-1 hint for the engine, e.g. "en". */
  language?: string;
}

export interface Transcript {
  id: string;
  recordingId: string;
  accountId: string;
  status: TranscriptStatus;
  /** Engine that made (or was to make) it: sphinx, openai, none. */
  engine: string;
  language: string | null;
  /** Segments joined in time order, one per line; redacted when redaction was asked for. */
  text: string | null;
  segments: TranscriptSegment[];
  options: TranscriptOptions;
  redactions: RedactionEntry[];
  /** Redacted copies of the audio (WAV, MP3), when made. */
  redactedMedia: { wav?: StoredMedia; mp3?: StoredMedia };
  errorCode: string | null;
  errorMessage: string | null;
  dateCreated: Date;
  dateUpdated: Date;
}

/** Account-wide redaction defaults (null fields: the server's configuration decides). */
export interface TranscriptionSettings {
  redact: boolean | null;
  redactAudio: boolean | null;
}
