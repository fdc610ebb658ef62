import type { MediaFormat, Recording, SealedMediaDetails } from './recording.js';

/**
 * Encryption steps tied to a recording's lifecycle, implemented by compliance/encryption
 * when encryption at rest is on. Media sealed with an account's own key stays readable by
 * the service while it is processed, and only by the key holder afterwards.
 */
export interface MediaSealing {
  /** What the key holder needs to decrypt the renditions sealed with the account's key; undefined when none is. */
  describe(recording: Recording, media: Recording['media']): Promise<Partial<Record<MediaFormat, SealedMediaDetails>> | undefined>;
  /** The service is done with the audio: it gives up its own access where the account holds the key. Never throws. */
  processingDone(recording: Recording): Promise<void>;
}
