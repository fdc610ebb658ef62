import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames, setupBackend, type Backend } from '../helpers/backends.js';
import { openBlobStore } from '../../src/storage/blob/open-blob-store.js';
import { S3BlobStore } from '../../src/storage/blob/s3.js';
import type { BlobStore } from '../../src/storage/blob/blob-store.js';
import { inParallel } from '../../src/concurrency.js';

// BlobStore.deleteMany on local disk (concurrent unlinks) and on S3 (DeleteObjects,
// against s3rver, which does not verify signatures: nothing here depends on them).
describe.each(backendNames())('BlobStore.deleteMany on %s', (backendName) => {
  let backend: Backend;
  let store: BlobStore;

  beforeAll(async () => {
    backend = await setupBackend(backendName);
    store = openBlobStore(backend.env.STORAGE_URL);
  });
  afterAll(async () => {
    if (store instanceof S3BlobStore) store.close();
    await backend.cleanup();
  });

  it('removes the named objects, ignores absent ones and leaves the rest', async () => {
    const keys = Array.from({ length: 6 }, (_, i) => `recordings/AC1/RE${i}.wav`);
    for (const key of keys) await store.put(key, Buffer.from(`audio ${key}`));
    await store.deleteMany([keys[0], keys[2], keys[4], 'recordings/AC1/absent.wav']);
    const present = await Promise.all(keys.map(async (key) => (await store.stat(key)) !== null));
    expect(present).toEqual([false, true, false, true, false, true]);
    await store.deleteMany([]);
    // Deleting again is harmless (a retried job).
    await store.deleteMany([keys[0], keys[2]]);
  });

  it('removes more keys than one S3 request takes (1,000)', async () => {
    const keys = Array.from({ length: 1003 }, (_, i) => `recordings/AC2/RE${String(i).padStart(4, '0')}.mp3`);
    await inParallel(keys, 16, (key) => store.put(key, Buffer.from('x')).then(() => undefined));
    await store.deleteMany(keys);
    const left: string[] = [];
    for await (const item of store.list('recordings/AC2/')) left.push(item.key);
    expect(left).toEqual([]);
  });

  it('rejects unsafe keys before removing anything', async () => {
    await store.put('recordings/AC3/RE1.wav', Buffer.from('keep'));
    await expect(store.deleteMany(['recordings/AC3/RE1.wav', '../outside.wav'])).rejects.toThrow(/unsafe blob key/);
    expect(await store.stat('recordings/AC3/RE1.wav')).not.toBeNull();
  });
});
