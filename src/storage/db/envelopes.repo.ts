import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Database, MediaEnvelopesTable } from './schema.js';
import type {
  CustomerKeyRepository,
  Envelope,
  EnvelopeCursor,
  EnvelopeRepository,
  StoredCustomerKey,
  StoredEnvelope,
} from '../../compliance/encryption/envelope.js';
import type { StorageClass } from '../../recordings/recording.js';

type Row = Selectable<MediaEnvelopesTable>;

const b64 = (value: Buffer | null): string | null => (value ? value.toString('base64') : null);
const bin = (value: string | null): Buffer | null => (value === null ? null : Buffer.from(value, 'base64'));

function envelopeFromRow(row: Row): Envelope {
  return {
    tier: row.tier as StorageClass,
    blobKey: row.blob_key,
    algorithm: row.algorithm,
    chunkSize: Number(row.chunk_size),
    noncePrefix: Buffer.from(row.nonce_prefix, 'base64'),
    serviceKeyId: row.service_key_id,
    serviceWrappedKey: bin(row.service_wrapped_key),
    customerWrappedKey: bin(row.customer_wrapped_key),
    customerKeyFingerprint: row.customer_key_fingerprint,
    plaintextBytes: row.plaintext_bytes === null ? null : Number(row.plaintext_bytes),
    plaintextSha256: row.plaintext_sha256,
    ciphertextBytes: row.ciphertext_bytes === null ? null : Number(row.ciphertext_bytes),
    ciphertextSha256: row.ciphertext_sha256,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The columns of an envelope other than its key. */
function envelopeValues(e: Envelope) {
  return {
    algorithm: e.algorithm,
    chunk_size: e.chunkSize,
    nonce_prefix: e.noncePrefix.toString('base64'),
    service_key_id: e.serviceKeyId,
    service_wrapped_key: b64(e.serviceWrappedKey),
    customer_wrapped_key: b64(e.customerWrappedKey),
    customer_key_fingerprint: e.customerKeyFingerprint,
    plaintext_bytes: e.plaintextBytes,
    plaintext_sha256: e.plaintextSha256,
    ciphertext_bytes: e.ciphertextBytes,
    ciphertext_sha256: e.ciphertextSha256,
    created_at: e.createdAt.toISOString(),
    // Wall time, not the injectable clock: leases coordinate processes.
    updated_at: new Date().toISOString(),
  };
}

/** The row of a pending write, identified by its (per-write random) nonce prefix. */
function pendingWrite(eb: ExpressionBuilder<Database, 'media_envelopes'>, tier: StorageClass, blobKey: string, noncePrefix: Buffer) {
  return eb.and([
    eb('tier', '=', tier),
    eb('blob_key', '=', blobKey),
    eb('nonce_prefix', '=', noncePrefix.toString('base64')),
    eb('plaintext_bytes', 'is', null),
  ]);
}

/** EnvelopeRepository on Kysely: the same SQL on SQLite and PostgreSQL. */
export class KyselyEnvelopeRepository implements EnvelopeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(tier: StorageClass, blobKey: string): Promise<Envelope | null> {
    const row = await this.db.selectFrom('media_envelopes').selectAll().where('tier', '=', tier).where('blob_key', '=', blobKey).executeTakeFirst();
    return row ? envelopeFromRow(row) : null;
  }

  async claim(next: Envelope, prev: Envelope | null, leaseCutoff: Date): Promise<boolean> {
    const values = envelopeValues(next);
    if (!prev) {
      const result = await this.db
        .insertInto('media_envelopes')
        .values({ tier: next.tier, blob_key: next.blobKey, ...values })
        .onConflict((oc) => oc.columns(['tier', 'blob_key']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    }
    const result = await this.db
      .updateTable('media_envelopes')
      .set(values)
      .where('tier', '=', next.tier)
      .where('blob_key', '=', next.blobKey)
      .where('nonce_prefix', '=', prev.noncePrefix.toString('base64'))
      .where((eb) => eb.or([eb('plaintext_bytes', 'is not', null), eb('updated_at', '<', leaseCutoff.toISOString())]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async touch(tier: StorageClass, blobKey: string, noncePrefix: Buffer): Promise<void> {
    await this.db
      .updateTable('media_envelopes')
      .set({ updated_at: new Date().toISOString() })
      .where((eb) => pendingWrite(eb, tier, blobKey, noncePrefix))
      .execute();
  }

  async markStored(
    tier: StorageClass,
    blobKey: string,
    noncePrefix: Buffer,
    s: Pick<StoredEnvelope, 'plaintextBytes' | 'plaintextSha256' | 'ciphertextBytes' | 'ciphertextSha256'>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('media_envelopes')
      .set({
        plaintext_bytes: s.plaintextBytes,
        plaintext_sha256: s.plaintextSha256,
        ciphertext_bytes: s.ciphertextBytes,
        ciphertext_sha256: s.ciphertextSha256,
        updated_at: new Date().toISOString(),
      })
      .where((eb) => pendingWrite(eb, tier, blobKey, noncePrefix))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async restore(tier: StorageClass, blobKey: string, noncePrefix: Buffer, prev: Envelope | null): Promise<void> {
    if (prev) {
      await this.db
        .updateTable('media_envelopes')
        .set(envelopeValues(prev))
        .where((eb) => pendingWrite(eb, tier, blobKey, noncePrefix))
        .execute();
    } else {
      await this.db
        .deleteFrom('media_envelopes')
        .where((eb) => pendingWrite(eb, tier, blobKey, noncePrefix))
        .execute();
    }
  }

  async delete(tier: StorageClass, blobKey: string): Promise<void> {
    await this.db.deleteFrom('media_envelopes').where('tier', '=', tier).where('blob_key', '=', blobKey).execute();
  }

  async deleteMany(tier: StorageClass, blobKeys: string[]): Promise<void> {
    // Chunked: SQLite allows at most 32,766 bound parameters per statement.
    for (let i = 0; i < blobKeys.length; i += 1000) {
      await this.db.deleteFrom('media_envelopes').where('tier', '=', tier).where('blob_key', 'in', blobKeys.slice(i, i + 1000)).execute();
    }
  }

  async listToRewrap(activeKeyId: string, after: EnvelopeCursor | null, limit: number): Promise<Envelope[]> {
    let q = this.db
      .selectFrom('media_envelopes')
      .selectAll()
      .where('service_key_id', 'is not', null)
      .where('service_key_id', '!=', activeKeyId);
    if (after) {
      // Row-value keyset: an index range on both databases (an OR of the two would be a filter).
      q = q.where((eb) => eb(eb.refTuple('tier', 'blob_key'), '>', eb.tuple(after.tier, after.blobKey)));
    }
    const rows = await q.orderBy('tier').orderBy('blob_key').limit(limit).execute();
    return rows.map(envelopeFromRow);
  }

  async rewrap(tier: StorageClass, blobKey: string, fromKeyId: string, toKeyId: string, wrapped: Buffer): Promise<boolean> {
    const result = await this.db
      .updateTable('media_envelopes')
      .set({ service_key_id: toKeyId, service_wrapped_key: wrapped.toString('base64'), updated_at: new Date().toISOString() })
      .where('tier', '=', tier)
      .where('blob_key', '=', blobKey)
      .where('service_key_id', '=', fromKeyId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async dropServiceKeys(tier: StorageClass, blobKeys: string[]): Promise<number> {
    if (blobKeys.length === 0) return 0;
    const result = await this.db
      .updateTable('media_envelopes')
      .set({ service_key_id: null, service_wrapped_key: null, updated_at: new Date().toISOString() })
      .where('tier', '=', tier)
      .where('blob_key', 'in', blobKeys)
      .where('customer_wrapped_key', 'is not', null)
      .where('service_key_id', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countByServiceKey(): Promise<Array<{ keyId: string | null; count: number }>> {
    const rows = await this.db
      .selectFrom('media_envelopes')
      .select((eb) => ['service_key_id', eb.fn.countAll<number>().as('n')])
      .groupBy('service_key_id')
      .orderBy('service_key_id')
      .execute();
    return rows.map((r) => ({ keyId: r.service_key_id, count: Number(r.n) }));
  }
}

/** CustomerKeyRepository on the accounts table. */
export class KyselyCustomerKeyRepository implements CustomerKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(accountId: string): Promise<StoredCustomerKey | null | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['encryption_public_key', 'encryption_key_set_at'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) return undefined;
    return row.encryption_public_key ? { pem: row.encryption_public_key, setAt: new Date(row.encryption_key_set_at ?? 0) } : null;
  }

  async set(accountId: string, key: StoredCustomerKey | null): Promise<boolean> {
    const result = await this.db
      .updateTable('accounts')
      .set({ encryption_public_key: key?.pem ?? null, encryption_key_set_at: key?.setAt.toISOString() ?? null })
      .where('id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
