import { Transform, type Readable } from 'node:stream';
import type { Metrics } from '../../observability/metrics.js';
import type { BlobReader, BlobStat, BlobStore, ByteRange, PutResult, SignedUrlOptions } from './blob-store.js';

/** Wraps a BlobStore to count bytes written and read for /metrics. */
export class MeteredBlobStore implements BlobStore {
  readonly description: string;
  readonly signedUrl?: (key: string, opts: SignedUrlOptions) => Promise<string>;
  readonly openReader?: (key: string) => Promise<BlobReader>;

  constructor(
    private readonly inner: BlobStore,
    private readonly metrics: Metrics,
  ) {
    this.description = inner.description;
    if (inner.signedUrl) this.signedUrl = (key, opts) => inner.signedUrl!(key, opts);
    if (inner.openReader) {
      const bytesRead = metrics.storageBytes.labels({ direction: 'read' });
      this.openReader = async (key) => {
        const reader = await inner.openReader!(key);
        return {
          size: reader.size,
          read: async (buffer, offset, length, position) => {
            const n = await reader.read(buffer, offset, length, position);
            bytesRead.inc(n);
            return n;
          },
          close: () => reader.close(),
        };
      };
    }
  }

  async put(key: string, body: Readable | Buffer, opts?: { contentType?: string }): Promise<PutResult> {
    const result = await this.inner.put(key, body, opts);
    this.metrics.storageBytes.inc({ direction: 'write' }, result.size);
    return result;
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const stream = await this.inner.get(key, range);
    // A pass-through counter: listening to 'data' on the source itself would start the
    // flow before the consumer is attached and lose the first chunks.
    const bytesRead = this.metrics.storageBytes.labels({ direction: 'read' });
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytesRead.inc(chunk.length);
        done(null, chunk);
      },
    });
    stream.on('error', (err) => counted.destroy(err));
    counted.on('close', () => stream.destroy());
    return stream.pipe(counted);
  }

  stat(key: string): Promise<BlobStat | null> {
    return this.inner.stat(key);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deleteMany(keys: string[]): Promise<void> {
    return this.inner.deleteMany(keys);
  }

  list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    return this.inner.list(prefix);
  }
}
