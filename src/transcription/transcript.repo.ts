import type { Transcript, TranscriptionSettings } from './transcript.js';

/** Persistence of transcripts (one per recording) and of each account's redaction settings. */
export interface TranscriptRepository {
  /** Inserts or replaces the recording's transcript (the search index follows). */
  save(transcript: Transcript): Promise<void>;
  findByRecording(accountId: string, recordingId: string): Promise<Transcript | null>;
  /** Unscoped, for jobs. */
  findByRecordingUnscoped(recordingId: string): Promise<Transcript | null>;
  /**
   * Moves a transcript from one status to another only if it still has `from`, so two
   * workers racing on one job produce one run. Returns whether it changed.
   */
  transition(recordingId: string, from: Transcript['status'][], to: Transcript['status'], now: Date): Promise<boolean>;
  /** Deletes the transcript; returns it, or null when there was none. */
  delete(accountId: string, recordingId: string): Promise<Transcript | null>;
  getSettings(accountId: string): Promise<TranscriptionSettings>;
  putSettings(accountId: string, settings: TranscriptionSettings): Promise<void>;
}
