import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { MediaSealing } from '../../recordings/media-sealing.js';
import { allMediaKeys, MEDIA_FORMATS, type MediaFormat, type Recording, type SealedMediaDetails, type StorageClass } from '../../recordings/recording.js';
import type { BlobStore } from '../../storage/blob/blob-store.js';
import { CUSTOMER_KEY_WRAP, parseCustomerPublicKey, type CustomerPublicKey } from './customer-key.js';
import { EncryptingBlobStore, type SealedObject, type StoredCheck } from './encrypting-blob-store.js';
import type { CustomerKeyRepository, EnvelopeCursor, EnvelopeRepository } from './envelope.js';
import type { KeyRing } from './key-ring.js';

export interface EncryptionDeps {
  ring: KeyRing;
  envelopes: EnvelopeRepository;
  customerKeys: CustomerKeyRepository;
  log: Logger;
  clock: Clock;
  /** Plaintext bytes per chunk of new objects (default 64 KiB). */
  chunkSize?: number;
}

/** What a rotation did. */
export interface RotationReport {
  activeKeyId: string;
  /** Envelopes re-wrapped under the active key by this run. */
  rewrapped: number;
  /** Envelopes another process re-wrapped (or removed) first. */
  skipped: number;
}

/**
 * Encryption at rest, as the rest of the service sees it: wraps the media tiers in
 * encrypting stores, serves customer-sealed objects as they are, keeps the Recording's
 * `encryption_details`, gives up the service's access once processing is done, and
 * re-wraps data keys when the master key rotates.
 */
export class EncryptionService implements MediaSealing {
  private readonly stores = new Map<StorageClass, EncryptingBlobStore>();
  /** Parsed public keys by PEM text: parsing costs more than the lookup. */
  private readonly parsed = new Map<string, CustomerPublicKey>();

  constructor(private readonly deps: EncryptionDeps) {}

  /** The active master key's id. */
  get activeKeyId(): string {
    return this.deps.ring.activeKeyId;
  }

  /** Wraps one media tier in an encrypting store. */
  wrap(tier: StorageClass, inner: BlobStore): EncryptingBlobStore {
    const store = new EncryptingBlobStore(inner, tier, {
      ring: this.deps.ring,
      envelopes: this.deps.envelopes,
      customerKeyOf: (accountId) => this.customerKeyOf(accountId),
      log: this.deps.log,
      clock: this.deps.clock,
      chunkSize: this.deps.chunkSize,
    });
    this.stores.set(tier, store);
    return store;
  }

  /** The stored bytes of a customer-sealed object, which downloads serve as they are; null for any other object. */
  sealedMedia = async (storageClass: StorageClass, key: string): Promise<SealedObject | null> => {
    return (await this.stores.get(storageClass)?.sealedObject(key)) ?? null;
  };

  /** Checks stored bytes against the envelope's ciphertext SHA-256 (no key needed); `encrypted: false` for plaintext objects. */
  async verifyStored(storageClass: StorageClass, key: string): Promise<StoredCheck> {
    const store = this.stores.get(storageClass);
    if (!store) return { encrypted: false, ok: false };
    return store.verifyStored(key);
  }

  async describe(recording: Recording, media: Recording['media']): Promise<Partial<Record<MediaFormat, SealedMediaDetails>> | undefined> {
    const out: Partial<Record<MediaFormat, SealedMediaDetails>> = {};
    for (const format of MEDIA_FORMATS) {
      const stored = media[format];
      if (!stored) continue;
      const envelope = await this.deps.envelopes.find(recording.storageClass, stored.key);
      if (!envelope?.customerWrappedKey) continue;
      out[format] = {
        algorithm: envelope.algorithm,
        chunkSize: envelope.chunkSize,
        noncePrefix: envelope.noncePrefix.toString('base64'),
        wrappedKey: envelope.customerWrappedKey.toString('base64'),
        keyWrap: CUSTOMER_KEY_WRAP,
        keyFingerprint: envelope.customerKeyFingerprint ?? '',
      };
    }
    return Object.keys(out).length ? out : undefined;
  }

  async processingDone(recording: Recording): Promise<void> {
    if (recording.details.transcribe) {
      // The transcription still reads the audio; it calls releaseServiceKeys when it is done.
      this.deps.log.debug({ recordingId: recording.id }, 'service keeps its data keys until the transcription finishes');
      return;
    }
    await this.releaseServiceKeys(recording);
  }

  /**
   * Drops the service's own copy of the data keys of a recording's media where the account
   * holds the key: afterwards only the key holder can decrypt them. Idempotent; never throws
   * (on failure the service simply keeps its access, and a later call drops it).
   */
  async releaseServiceKeys(recording: Recording): Promise<void> {
    try {
      const dropped = await this.deps.envelopes.dropServiceKeys(recording.storageClass, allMediaKeys(recording.accountId, recording.id));
      if (dropped) this.deps.log.info({ recordingId: recording.id, objects: dropped }, 'media sealed: only the account key holder can decrypt it now');
    } catch (err) {
      this.deps.log.warn({ err, recordingId: recording.id }, 'could not drop the service copy of customer-sealed data keys; it stays decryptable by the service');
    }
  }

  /**
   * Re-wraps every service-held data key that is not under the active master key, in
   * batches. Idempotent and safe beside running servers (each re-wrap is conditional on the
   * key id it read); audio is never rewritten. Throws UnknownMasterKeyError when a data key
   * is wrapped under a key that is no longer configured.
   */
  async rotate(opts: { batchSize?: number; onBatch?: (done: number) => void } = {}): Promise<RotationReport> {
    const report: RotationReport = { activeKeyId: this.deps.ring.activeKeyId, rewrapped: 0, skipped: 0 };
    const batchSize = opts.batchSize ?? 500;
    let after: EnvelopeCursor | null = null;
    for (;;) {
      const batch = await this.deps.envelopes.listToRewrap(report.activeKeyId, after, batchSize);
      if (batch.length === 0) break;
      for (const envelope of batch) {
        const dataKey = this.deps.ring.unwrap(envelope.serviceKeyId!, envelope.serviceWrappedKey!);
        const { keyId, wrapped } = this.deps.ring.wrap(dataKey);
        if (await this.deps.envelopes.rewrap(envelope.tier, envelope.blobKey, envelope.serviceKeyId!, keyId, wrapped)) report.rewrapped++;
        else report.skipped++;
      }
      const last = batch[batch.length - 1];
      after = { tier: last.tier, blobKey: last.blobKey };
      opts.onBatch?.(report.rewrapped);
    }
    return report;
  }

  /** Envelope counts by master key id (`null`: only the account's key can unwrap). */
  async status(): Promise<{ activeKeyId: string; configuredKeyIds: string[]; envelopesByKey: Array<{ keyId: string | null; count: number }> }> {
    return { activeKeyId: this.deps.ring.activeKeyId, configuredKeyIds: this.deps.ring.ids(), envelopesByKey: await this.deps.envelopes.countByServiceKey() };
  }

  /** The account's registered public key, parsed; null when it has none. */
  private async customerKeyOf(accountId: string): Promise<CustomerPublicKey | null> {
    const stored = await this.deps.customerKeys.get(accountId);
    if (!stored) return null;
    let parsed = this.parsed.get(stored.pem);
    if (!parsed) {
      parsed = parseCustomerPublicKey(stored.pem);
      if (this.parsed.size > 1000) this.parsed.clear();
      this.parsed.set(stored.pem, parsed);
    }
    return parsed;
  }
}
