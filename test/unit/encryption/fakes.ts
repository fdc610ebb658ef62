import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobReader, type BlobStat, type BlobStore, type ByteRange, type PutResult, type SignedUrlOptions } from '../../../src/storage/blob/blob-store.js';
import type { Envelope, EnvelopeCursor, EnvelopeRepository, StoredEnvelope } from '../../../src/compliance/encryption/envelope.js';
import type { StorageClass } from '../../../src/recordings/recording.js';

/**
 * BlobStore in a Map; `failNextPut` makes the next put fail after reading its body. With
 * `positional`, it also offers openReader (as local disk does), in odd-sized reads.
 */
export class MemoryBlobStore implements BlobStore {
  readonly description = 'memory://';
  readonly openReader?: (key: string) => Promise<BlobReader>;
  /** Readers currently open. */
  openReaders = 0;

  constructor(positional = false) {
    if (positional) {
      this.openReader = async (key) => {
        const bytes = this.objects.get(key);
        if (!bytes) throw new BlobNotFoundError(key);
        this.openReaders++;
        return {
          size: bytes.length,
          read: async (buffer, offset, length, position) => bytes.copy(buffer, offset, position, position + Math.min(length, 5000)),
          close: async () => void this.openReaders--,
        };
      };
    }
  }

  readonly objects = new Map<string, Buffer>();
  failNextPut = false;
  /** Slows puts down (ms per call), to let concurrent writers interleave. */
  putDelayMs = 0;

  async put(key: string, body: Readable | Buffer): Promise<PutResult> {
    const parts: Buffer[] = [];
    for await (const chunk of Buffer.isBuffer(body) ? [body] : body) parts.push(chunk as Buffer);
    const bytes = Buffer.concat(parts);
    if (this.putDelayMs) await new Promise((r) => setTimeout(r, this.putDelayMs));
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new Error('disk full');
    }
    this.objects.set(key, bytes);
    return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new BlobNotFoundError(key);
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    // Deliver in odd-sized pieces, as real streams do.
    const pieces: Buffer[] = [];
    for (let at = 0; at < slice.length; at += 7777) pieces.push(slice.subarray(at, at + 7777));
    return Readable.from(pieces);
  }

  async stat(key: string): Promise<BlobStat | null> {
    const bytes = this.objects.get(key);
    return bytes ? { size: bytes.length } : null;
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    for (const [key, bytes] of this.objects) if (key.startsWith(prefix)) yield { key, size: bytes.length };
  }

  async signedUrl(key: string, _opts: SignedUrlOptions): Promise<string> {
    return `https://bucket.example/${key}?signed`;
  }
}

const id = (tier: StorageClass, key: string) => `${tier}\u0000${key}`;

/** EnvelopeRepository in a Map, with the same conditional semantics as the SQL one. */
export class MemoryEnvelopeRepository implements EnvelopeRepository {
  readonly rows = new Map<string, Envelope>();

  async find(tier: StorageClass, blobKey: string): Promise<Envelope | null> {
    const row = this.rows.get(id(tier, blobKey));
    return row ? { ...row } : null;
  }

  async claim(next: Envelope, prev: Envelope | null, leaseCutoff: Date): Promise<boolean> {
    const current = this.rows.get(id(next.tier, next.blobKey));
    if (!prev) {
      if (current) return false;
    } else {
      if (!current || !current.noncePrefix.equals(prev.noncePrefix)) return false;
      if (current.plaintextBytes === null && current.updatedAt >= leaseCutoff) return false;
    }
    this.rows.set(id(next.tier, next.blobKey), { ...next, updatedAt: new Date() });
    return true;
  }

  private pending(tier: StorageClass, blobKey: string, noncePrefix: Buffer): Envelope | null {
    const row = this.rows.get(id(tier, blobKey));
    return row && row.noncePrefix.equals(noncePrefix) && row.plaintextBytes === null ? row : null;
  }

  async touch(tier: StorageClass, blobKey: string, noncePrefix: Buffer): Promise<void> {
    const row = this.pending(tier, blobKey, noncePrefix);
    if (row) row.updatedAt = new Date();
  }

  async markStored(tier: StorageClass, blobKey: string, noncePrefix: Buffer, s: Pick<StoredEnvelope, 'plaintextBytes' | 'plaintextSha256' | 'ciphertextBytes' | 'ciphertextSha256'>): Promise<boolean> {
    const row = this.pending(tier, blobKey, noncePrefix);
    if (!row) return false;
    Object.assign(row, s, { updatedAt: new Date() });
    return true;
  }

  async restore(tier: StorageClass, blobKey: string, noncePrefix: Buffer, prev: Envelope | null): Promise<void> {
    if (!this.pending(tier, blobKey, noncePrefix)) return;
    if (prev) this.rows.set(id(tier, blobKey), { ...prev });
    else this.rows.delete(id(tier, blobKey));
  }

  async deleteMany(tier: StorageClass, blobKeys: string[]): Promise<void> {
    for (const blobKey of blobKeys) this.rows.delete(id(tier, blobKey));
  }

  async delete(tier: StorageClass, blobKey: string): Promise<void> {
    this.rows.delete(id(tier, blobKey));
  }

  async listToRewrap(activeKeyId: string, after: EnvelopeCursor | null, limit: number): Promise<Envelope[]> {
    return [...this.rows.values()]
      .filter((e) => e.serviceKeyId !== null && e.serviceKeyId !== activeKeyId)
      .filter((e) => !after || e.tier > after.tier || (e.tier === after.tier && e.blobKey > after.blobKey))
      .sort((a, b) => (a.tier === b.tier ? (a.blobKey < b.blobKey ? -1 : 1) : a.tier < b.tier ? -1 : 1))
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }

  async rewrap(tier: StorageClass, blobKey: string, fromKeyId: string, toKeyId: string, wrapped: Buffer): Promise<boolean> {
    const row = this.rows.get(id(tier, blobKey));
    if (!row || row.serviceKeyId !== fromKeyId) return false;
    row.serviceKeyId = toKeyId;
    row.serviceWrappedKey = wrapped;
    return true;
  }

  async dropServiceKeys(tier: StorageClass, blobKeys: string[]): Promise<number> {
    let n = 0;
    for (const key of blobKeys) {
      const row = this.rows.get(id(tier, key));
      if (row?.customerWrappedKey && row.serviceKeyId) {
        row.serviceKeyId = null;
        row.serviceWrappedKey = null;
        n++;
      }
    }
    return n;
  }

  async countByServiceKey(): Promise<Array<{ keyId: string | null; count: number }>> {
    const counts = new Map<string | null, number>();
    for (const row of this.rows.values()) counts.set(row.serviceKeyId, (counts.get(row.serviceKeyId) ?? 0) + 1);
    return [...counts].map(([keyId, count]) => ({ keyId, count }));
  }
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Shannon entropy of a buffer, bits per byte (random data is close to 8). */
export function entropy(bytes: Buffer): number {
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b]++;
  let h = 0;
  for (const c of counts) if (c) h -= (c / bytes.length) * Math.log2(c / bytes.length);
  return h;
}
