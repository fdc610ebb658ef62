import type { Recording } from '../../recordings/recording.js';

/** One transcript file as it goes into a bundle, beside the recording's audio. */
export interface TranscriptFile {
  /** File name inside the recording's folder, e.g. `transcript.json`; letters, digits, `.`, `_`, `-` only. */
  name: string;
  content: Buffer;
}

/**
 * Where exports read transcripts from. The transcription module implements it (its
 * transcripts table); until it is wired, bundles carry no transcripts and say so in the
 * manifest (`include.transcripts` is reported as unavailable).
 */
export interface TranscriptReader {
  /** The recording's transcript files; empty when it has none. */
  filesFor(recording: Recording): Promise<TranscriptFile[]>;
}
