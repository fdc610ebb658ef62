import type { Recording } from './recording.js';

/** Lifecycle events of a recording, as webhooks name them. */
export type RecordingEventType =
  | 'recording.in-progress'
  | 'recording.paused'
  | 'recording.resumed'
  | 'recording.completed'
  | 'recording.failed'
  | 'recording.deleted';

/** Where recording lifecycle events go (webhooks, metrics); services publish, never deliver. */
export interface RecordingEventSink {
  publish(type: RecordingEventType, recording: Recording): Promise<void>;
}

/** Drops events; used until something subscribes. */
export const noEvents: RecordingEventSink = { publish: async () => {} };
