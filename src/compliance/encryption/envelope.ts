import type { StorageClass } from '../../recordings/recording.js';

/**
 * Everything needed to read one encrypted object, kept in the database (never in the
 * object, whose bytes are chunks only). Keyed by the tier holding the object and its blob key.
 */
export interface Envelope {
  tier: StorageClass;
  blobKey: string;
  /** Always CHUNKED_GCM for now. */
  algorithm: string;
  /** Plaintext bytes per chunk. */
  chunkSize: number;
  noncePrefix: Buffer;
  /**
   * The data key wrapped under a master key, and that key's id. Null once the service gave
   * up its own access (customer-key objects whose processing is done).
   */
  serviceKeyId: string | null;
  serviceWrappedKey: Buffer | null;
  /** The data key wrapped with RSA-OAEP-SHA256 under the account's public key, if it had one. */
  customerWrappedKey: Buffer | null;
  customerKeyFingerprint: string | null;
  /** Null while the object is being written: readers treat the object as absent. */
  plaintextBytes: number | null;
  /** SHA-256 of the plaintext (what the recording shows), hex. */
  plaintextSha256: string | null;
  /** Stored size and SHA-256 of the ciphertext: integrity checks need no key. */
  ciphertextBytes: number | null;
  ciphertextSha256: string | null;
  createdAt: Date;
  /** Wall time of the last change; a pending envelope's write lease is fresh while this is recent. */
  updatedAt: Date;
}

/** An envelope whose object is completely written. */
export type StoredEnvelope = Envelope & { plaintextBytes: number; plaintextSha256: string; ciphertextBytes: number; ciphertextSha256: string };

/** Whether the object behind an envelope is completely written. */
export function isStored(envelope: Envelope): envelope is StoredEnvelope {
  return envelope.plaintextBytes !== null && envelope.ciphertextBytes !== null;
}

/** Where to resume a scan over envelopes (keyset pagination). */
export interface EnvelopeCursor {
  tier: StorageClass;
  blobKey: string;
}

/** Persistence of envelopes and of the accounts' public keys. */
export interface EnvelopeRepository {
  find(tier: StorageClass, blobKey: string): Promise<Envelope | null>;
  /**
   * Makes `next` (a pending envelope) the envelope of its object, if the current one is still
   * `prev` (null: none) and is not a pending write whose lease is fresher than `leaseCutoff`.
   * Returns whether it did: one writer per object at a time.
   */
  claim(next: Envelope, prev: Envelope | null, leaseCutoff: Date): Promise<boolean>;
  /** Keeps the lease of the pending write identified by its nonce prefix fresh. */
  touch(tier: StorageClass, blobKey: string, noncePrefix: Buffer): Promise<void>;
  /** Records sizes and hashes once the object is written, if the pending envelope is still this write's; returns whether it was. */
  markStored(tier: StorageClass, blobKey: string, noncePrefix: Buffer, stored: Pick<StoredEnvelope, 'plaintextBytes' | 'plaintextSha256' | 'ciphertextBytes' | 'ciphertextSha256'>): Promise<boolean>;
  /** A write failed: puts `prev` back (or removes the row when null) if the pending envelope is still this write's. */
  restore(tier: StorageClass, blobKey: string, noncePrefix: Buffer, prev: Envelope | null): Promise<void>;
  delete(tier: StorageClass, blobKey: string): Promise<void>;
  deleteMany(tier: StorageClass, blobKeys: string[]): Promise<void>;
  /** Envelopes with a service-wrapped key under another master key than `activeKeyId`, after `after`, in key order. */
  listToRewrap(activeKeyId: string, after: EnvelopeCursor | null, limit: number): Promise<Envelope[]>;
  /** Replaces the service-wrapped key if it is still the one under `fromKeyId`; returns whether it did. */
  rewrap(tier: StorageClass, blobKey: string, fromKeyId: string, toKeyId: string, wrapped: Buffer): Promise<boolean>;
  /** Drops the service-wrapped key of these objects where a customer-wrapped one exists; returns how many changed. */
  dropServiceKeys(tier: StorageClass, blobKeys: string[]): Promise<number>;
  /** Envelope counts by service key id (null: customer key only). */
  countByServiceKey(): Promise<Array<{ keyId: string | null; count: number }>>;
}

/** An account's public key as stored. */
export interface StoredCustomerKey {
  pem: string;
  setAt: Date;
}

/** Where accounts' public keys are kept. */
export interface CustomerKeyRepository {
  /** The account's key, or null; undefined when there is no such account. */
  get(accountId: string): Promise<StoredCustomerKey | null | undefined>;
  /** Sets or clears (null) the key; returns false when there is no such account. */
  set(accountId: string, key: StoredCustomerKey | null): Promise<boolean>;
}
