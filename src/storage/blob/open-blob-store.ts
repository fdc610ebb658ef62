import { fileURLToPath } from 'node:url';
import type { BlobStore } from './blob-store.js';
import { LocalDiskBlobStore } from './local-disk.js';
import { parseS3Url, S3BlobStore } from './s3.js';

/** Opens the BlobStore named by a STORAGE_URL (`file:///dir` or `s3://bucket/prefix?...`). */
export function openBlobStore(storageUrl: string, opts: { readOnlyFiles?: boolean } = {}): BlobStore {
  if (storageUrl.startsWith('s3:')) return new S3BlobStore(parseS3Url(storageUrl));
  if (storageUrl.startsWith('file:')) return new LocalDiskBlobStore(fileURLToPath(storageUrl), opts.readOnlyFiles);
  throw new Error(`unsupported STORAGE_URL: ${storageUrl}`);
}
