import type { MediaStores } from '../../storage/blob/media-stores.js';
import type { JobHandler } from '../job-queue.js';

/** media.delete: remove blobs of a deleted recording; deleting an absent key succeeds, so reruns are harmless. */
export function mediaDeleteJob(stores: MediaStores): JobHandler<'media.delete'> {
  return async ({ keys, storageClass }) => {
    await stores.of(storageClass ?? 'standard').deleteMany(keys);
  };
}
