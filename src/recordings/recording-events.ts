import type { Recording } from './recording.js';

/** Lifecycle events of a recording, as webhooks name them. */
export type RecordingEventType =
  | 'recording.in-progress'
  | 'recording.paused'
  | 'recording.resumed'
  | 'recording.completed'
  | 'recording.failed'
  | 'recording.deleted'
  | 'recording.archived'
  | 'recording.media_deleted'
  | 'recording.integrity_failed'
  | 'transcription.completed'
  | 'transcription.failed';

/** Where recording lifecycle events go (webhooks, metrics); services publish, never deliver. */
export interface RecordingEventSink {
  /**
   * `dedupeKey`: a stable key for an event that may be published again after a crash
   * (retention follow-ups); the same key yields the same event id, delivered once.
   */
  publish(type: RecordingEventType, recording: Recording, opts?: { dedupeKey?: string }): Promise<void>;
}

/** Drops events; used until something subscribes. */
export const noEvents: RecordingEventSink = { publish: async () => {} };
