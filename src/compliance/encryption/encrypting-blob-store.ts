import { createHash, randomBytes } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { StorageClass } from '../../recordings/recording.js';
import { BlobNotFoundError, type BlobStat, type BlobStore, type ByteRange, type PutResult } from '../../storage/blob/blob-store.js';
import { CHUNKED_GCM, ChunkDecryptor, ChunkEncryptor, CiphertextAuthError, DATA_KEY_BYTES, DEFAULT_CHUNK_SIZE, NONCE_PREFIX_BYTES, PositionalDecryptor, planRead } from './chunked-gcm.js';
import { wrapForCustomer, type CustomerPublicKey } from './customer-key.js';
import { isStored, type Envelope, type EnvelopeRepository, type StoredEnvelope } from './envelope.js';
import type { KeyRing } from './key-ring.js';

export interface EncryptingStoreDeps {
  ring: KeyRing;
  envelopes: EnvelopeRepository;
  /** The account's public key, if it registered one: data keys of its new objects are wrapped under it too. */
  customerKeyOf(accountId: string): Promise<CustomerPublicKey | null>;
  log: Logger;
  clock: Clock;
  /** Plaintext bytes per chunk of new objects. */
  chunkSize?: number;
}

/** The object is sealed with its account's own key and the service no longer holds a copy of its data key. */
export class ServiceKeyReleasedError extends Error {
  constructor(readonly key: string) {
    super(`${key} is encrypted with its account's own key and the service no longer holds its data key: only the key holder can decrypt it`);
  }
}

/** A customer-sealed object as served: its stored bytes, as they are. */
export interface SealedObject {
  algorithm: string;
  /** Stored (ciphertext) size and SHA-256. */
  bytes: number;
  sha256: string;
  /** Streams the stored bytes, or an inclusive range of them. */
  open(range?: ByteRange): Promise<Readable>;
}

/** Result of checking stored bytes against the envelope, without any key. */
export interface StoredCheck {
  encrypted: boolean;
  ok: boolean;
  expectedSha256?: string;
  actualSha256?: string;
  expectedBytes?: number;
  actualBytes?: number;
}

/** A pending write's lease on its envelope lasts this long without a refresh (ms); then another writer may take over. */
const LEASE_MS = 5 * 60_000;
/** How often a writer refreshes its lease, ms. */
const LEASE_REFRESH_MS = 30_000;
/** How long a write waits for another write of the same key to finish, ms. */
const CLAIM_WAIT_MS = 2 * 60_000;

/** Carried by streams `get` returns for whole encrypted objects, so a sibling store copies the ciphertext instead of re-encrypting. */
const SEALED_SOURCE = Symbol('telefonie.sealedSource');

interface SealedSource {
  envelope: StoredEnvelope;
  openCiphertext(): Promise<Readable>;
}

/** The account id in a media key (`recordings/{accountId}/...`), if it is one. */
function accountOfKey(key: string): string | null {
  return /^recordings\/([^/]+)\//.exec(key)?.[1] ?? null;
}

/**
 * A BlobStore decorator that encrypts every object it stores (see chunked-gcm.ts for the
 * format) with a fresh data key, recording the object's envelope in the database first, so
 * a crash never leaves ciphertext that would be read as plaintext. `put` returns the
 * PLAINTEXT size and SHA-256 (what recordings show); the ciphertext's are in the envelope.
 *
 * - `get(key, range)` reads only the chunks covering the range and authenticates each before
 *   releasing it; objects without an envelope (stored before encryption was enabled) are
 *   read as they are.
 * - There is no `signedUrl`: a presigned URL would hand out ciphertext, so downloads stream
 *   through the service even in redirect mode.
 * - Copying a whole object from one encrypting store to another (`other.put(key, await
 *   this.get(key))`, as archiving does) copies the ciphertext and its envelope as they are:
 *   data keys are kept, and objects the service can no longer decrypt can still move.
 */
export class EncryptingBlobStore implements BlobStore {
  readonly description: string;
  private readonly chunkSize: number;

  constructor(
    readonly inner: BlobStore,
    readonly tier: StorageClass,
    private readonly deps: EncryptingStoreDeps,
  ) {
    this.description = `${inner.description} (encrypted at rest)`;
    this.chunkSize = deps.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  async put(key: string, body: Readable | Buffer, opts?: { contentType?: string }): Promise<PutResult> {
    const sealed = Buffer.isBuffer(body) ? undefined : (body as Readable & { [SEALED_SOURCE]?: SealedSource })[SEALED_SOURCE];
    if (sealed) {
      (body as Readable).destroy();
      return this.copySealed(key, sealed);
    }
    const dataKey = randomBytes(DATA_KEY_BYTES);
    const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
    const account = accountOfKey(key);
    const customer = account ? await this.deps.customerKeyOf(account) : null;
    const service = this.deps.ring.wrap(dataKey);
    const envelope = this.pendingEnvelope(key, {
      algorithm: CHUNKED_GCM,
      chunkSize: this.chunkSize,
      noncePrefix,
      serviceKeyId: service.keyId,
      serviceWrappedKey: service.wrapped,
      customerWrappedKey: customer ? wrapForCustomer(customer.key, dataKey) : null,
      customerKeyFingerprint: customer?.fingerprint ?? null,
    });
    const encryptor = new ChunkEncryptor({ dataKey, noncePrefix, chunkSize: this.chunkSize });
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    source.on('error', (err) => encryptor.destroy(err));
    source.pipe(encryptor);
    let stored: PutResult;
    try {
      stored = await this.writeObject(envelope, () => encryptor, opts ?? {});
    } finally {
      source.destroy();
    }
    const plaintext = { bytes: encryptor.plaintextBytes, sha256: encryptor.plaintextSha256() };
    await this.finishWrite(envelope, { plaintextBytes: plaintext.bytes, plaintextSha256: plaintext.sha256, ciphertextBytes: stored.size, ciphertextSha256: stored.sha256 });
    return { size: plaintext.bytes, sha256: plaintext.sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const envelope = await this.deps.envelopes.find(this.tier, key);
    if (!envelope) return this.inner.get(key, range);
    if (!isStored(envelope)) throw new BlobNotFoundError(key);
    const plan = planRead(envelope.plaintextBytes, envelope.chunkSize, range);
    const whole = plan.firstChunk === 0 && plan.length === envelope.plaintextBytes;
    const dataKey = this.serviceDataKey(envelope);
    let out: Readable;
    if (!dataKey) {
      if (!whole) throw new ServiceKeyReleasedError(key);
      if (!(await this.inner.stat(key))) throw new BlobNotFoundError(key);
      // Readable only by a sibling store copying it (archiving); anyone else gets the error.
      out = new Readable({
        read() {
          this.destroy(new ServiceKeyReleasedError(key));
        },
      });
    } else {
      const params = { dataKey, noncePrefix: envelope.noncePrefix, chunkSize: envelope.chunkSize };
      const window = { plaintextSize: envelope.plaintextBytes, firstChunk: plan.firstChunk, skip: plan.skip, length: plan.length };
      if (this.inner.openReader) {
        // Local disk: whole chunks by position into one reused buffer.
        const reader = await this.inner.openReader(key);
        if (reader.size !== envelope.ciphertextBytes) {
          await reader.close();
          throw this.authFailed(key, new CiphertextAuthError(plan.firstChunk, `the stored file has ${reader.size} bytes, ${envelope.ciphertextBytes} were written`));
        }
        out = new PositionalDecryptor(reader, params, window);
        out.on('error', (err) => {
          if (err instanceof CiphertextAuthError) this.authFailed(key, err);
        });
      } else {
        // Object storage: one ranged GET covering the chunks.
        const source = await this.inner.get(key, whole ? undefined : { start: plan.cipherStart, end: plan.cipherEnd });
        out = pipeline(source, new ChunkDecryptor(params, window), (err) => {
          if (err instanceof CiphertextAuthError) this.authFailed(key, err);
        });
      }
    }
    if (whole) {
      const sealed: SealedSource = { envelope, openCiphertext: () => this.inner.get(key) };
      Object.defineProperty(out, SEALED_SOURCE, { value: sealed });
    }
    return out;
  }

  async stat(key: string): Promise<BlobStat | null> {
    const [envelope, stat] = await Promise.all([this.deps.envelopes.find(this.tier, key), this.inner.stat(key)]);
    if (!envelope || !stat) return stat;
    return isStored(envelope) ? { size: envelope.plaintextBytes, lastModified: stat.lastModified } : null;
  }

  async delete(key: string): Promise<void> {
    // Object first: an envelope without its object reads as absent, the reverse would read as plaintext.
    await this.inner.delete(key);
    await this.deps.envelopes.delete(this.tier, key);
  }

  async deleteMany(keys: string[]): Promise<void> {
    await this.inner.deleteMany(keys);
    await this.deps.envelopes.deleteMany(this.tier, keys);
  }

  list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    return this.inner.list(prefix);
  }

  /** The stored bytes of an object sealed with its account's key (served as they are), or null for any other object. */
  async sealedObject(key: string): Promise<SealedObject | null> {
    const envelope = await this.deps.envelopes.find(this.tier, key);
    if (!envelope || !envelope.customerWrappedKey || !isStored(envelope)) return null;
    return { algorithm: envelope.algorithm, bytes: envelope.ciphertextBytes, sha256: envelope.ciphertextSha256, open: (range) => this.inner.get(key, range) };
  }

  /** Hashes the stored bytes and compares them with the envelope's ciphertext SHA-256 and size; needs no key. */
  async verifyStored(key: string): Promise<StoredCheck> {
    const envelope = await this.deps.envelopes.find(this.tier, key);
    if (!envelope) return { encrypted: false, ok: false };
    if (!isStored(envelope)) throw new BlobNotFoundError(key);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of await this.inner.get(key)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const actualSha256 = hash.digest('hex');
    return {
      encrypted: true,
      ok: actualSha256 === envelope.ciphertextSha256 && bytes === envelope.ciphertextBytes,
      expectedSha256: envelope.ciphertextSha256,
      actualSha256,
      expectedBytes: envelope.ciphertextBytes,
      actualBytes: bytes,
    };
  }

  /** Logs a failed authentication (altered or corrupt stored bytes); returns the error. */
  private authFailed(key: string, err: CiphertextAuthError): CiphertextAuthError {
    this.deps.log.error({ tier: this.tier, key, chunk: err.chunk, reason: err.message }, 'stored media failed authentication: the file was altered or is corrupt; nothing of the bad chunk was returned');
    return err;
  }

  /** The data key via the service's own wrapped copy, or null when only the customer can unwrap it. */
  private serviceDataKey(envelope: Envelope): Buffer | null {
    if (!envelope.serviceKeyId || !envelope.serviceWrappedKey) return null;
    return this.deps.ring.unwrap(envelope.serviceKeyId, envelope.serviceWrappedKey);
  }

  /** Stores another encrypting store's object as it is: same ciphertext, same data key, checked by its SHA-256. */
  private async copySealed(key: string, source: SealedSource): Promise<PutResult> {
    const from = source.envelope;
    const envelope = this.pendingEnvelope(key, from);
    const stored = await this.writeObject(envelope, () => source.openCiphertext(), {});
    if (stored.sha256 !== from.ciphertextSha256 || stored.size !== from.ciphertextBytes) {
      await this.inner.delete(key);
      await this.deps.envelopes.restore(this.tier, key, envelope.noncePrefix, null);
      throw new Error(`copy of ${key} does not match the SHA-256 recorded for its ciphertext`);
    }
    await this.finishWrite(envelope, { plaintextBytes: from.plaintextBytes, plaintextSha256: from.plaintextSha256, ciphertextBytes: from.ciphertextBytes, ciphertextSha256: from.ciphertextSha256 });
    return { size: from.plaintextBytes, sha256: from.plaintextSha256 };
  }

  /** A pending envelope (no sizes yet) for a new object under `key` in this tier. */
  private pendingEnvelope(
    key: string,
    params: Pick<Envelope, 'algorithm' | 'chunkSize' | 'noncePrefix' | 'serviceKeyId' | 'serviceWrappedKey' | 'customerWrappedKey' | 'customerKeyFingerprint'>,
  ): Envelope {
    const now = this.deps.clock.now();
    return {
      tier: this.tier,
      blobKey: key,
      algorithm: params.algorithm,
      chunkSize: params.chunkSize,
      noncePrefix: params.noncePrefix,
      serviceKeyId: params.serviceKeyId,
      serviceWrappedKey: params.serviceWrappedKey,
      customerWrappedKey: params.customerWrappedKey,
      customerKeyFingerprint: params.customerKeyFingerprint,
      plaintextBytes: null,
      plaintextSha256: null,
      ciphertextBytes: null,
      ciphertextSha256: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Writes an object's ciphertext under its pending envelope. The envelope is claimed first
   * (one writer per key at a time, others wait), so a crash never leaves ciphertext that
   * would be read as plaintext, and two writers of one key never leave one's bytes under the
   * other's envelope. On failure the previous envelope is put back: the previous object,
   * which the inner store kept, stays readable.
   */
  private async writeObject(envelope: Envelope, body: () => Readable | Promise<Readable>, opts: { contentType?: string }): Promise<PutResult> {
    const prev = await this.claim(envelope);
    const lease = setInterval(() => {
      this.deps.envelopes.touch(this.tier, envelope.blobKey, envelope.noncePrefix).catch(() => undefined);
    }, LEASE_REFRESH_MS);
    lease.unref();
    try {
      return await this.inner.put(envelope.blobKey, await body(), { ...opts, contentType: 'application/octet-stream' });
    } catch (err) {
      await this.deps.envelopes.restore(this.tier, envelope.blobKey, envelope.noncePrefix, prev).catch((e) => {
        this.deps.log.warn({ err: e, key: envelope.blobKey }, 'could not restore the previous envelope after a failed write; the object reads as absent');
      });
      throw err;
    } finally {
      clearInterval(lease);
    }
  }

  /** Completes a write; if the object was deleted meanwhile, removes the bytes that landed after the delete. */
  private async finishWrite(envelope: Envelope, stored: Pick<StoredEnvelope, 'plaintextBytes' | 'plaintextSha256' | 'ciphertextBytes' | 'ciphertextSha256'>): Promise<void> {
    if (await this.deps.envelopes.markStored(this.tier, envelope.blobKey, envelope.noncePrefix, stored)) return;
    const current = await this.deps.envelopes.find(this.tier, envelope.blobKey);
    if (!current) await this.inner.delete(envelope.blobKey);
    throw new Error(`${envelope.blobKey} was deleted or taken over by another write while being written`);
  }

  /** Claims the envelope row for a write, waiting while another write of the same key holds it; returns the previous envelope. */
  private async claim(next: Envelope): Promise<Envelope | null> {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (;;) {
      const prev = await this.deps.envelopes.find(this.tier, next.blobKey);
      const leaseCutoff = new Date(Date.now() - LEASE_MS);
      const busy = prev !== null && !isStored(prev) && prev.updatedAt > leaseCutoff;
      if (!busy && (await this.deps.envelopes.claim(next, prev, leaseCutoff))) return prev;
      if (Date.now() > deadline) throw new Error(`another write of ${next.blobKey} has been in progress for over ${CLAIM_WAIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
}
