import type { StorageClass } from '../../recordings/recording.js';
import type { BlobStore } from './blob-store.js';

/** The two media tiers; a recording's `storageClass` says which one holds its files. */
export class MediaStores {
  constructor(
    readonly standard: BlobStore,
    readonly archive: BlobStore,
  ) {}

  /** The store holding media of this storage class. */
  of(storageClass: StorageClass): BlobStore {
    return storageClass === 'archive' ? this.archive : this.standard;
  }
}
