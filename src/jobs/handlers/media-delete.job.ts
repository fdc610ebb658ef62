import type { BlobStore } from '../../storage/blob/blob-store.js';
import type { JobHandler } from '../job-queue.js';

/** media.delete: remove blobs of a deleted recording; deleting an absent key succeeds, so reruns are harmless. */
export function mediaDeleteJob(blobs: BlobStore): JobHandler<'media.delete'> {
  return async ({ keys }) => {
    await Promise.all(keys.map((key) => blobs.delete(key)));
  };
}
