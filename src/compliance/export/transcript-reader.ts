import type { Recording } from '../../recordings/recording.js';

/** One transcript file as it goes into a bundle, beside the recording's audio. */
export interface TranscriptFile {
  /** File name inside the recording's folder, e.g. `transcript.json`; letters, digits, `.`, `_`, `-` only. */
  name: string;
  content: Buffer;
}

/**
 * Where exports read transcripts from; wiring.ts adapts the transcription module's
 * TranscriptsService to it (transcript.json as the API shows it, transcript.txt). Without
 * one, bundles carry no transcripts and the manifest says so (`transcripts_unavailable`).
 */
export interface TranscriptReader {
  /** The recording's transcript files; empty when it has none. */
  filesFor(recording: Recording): Promise<TranscriptFile[]>;
}
