import type { Kysely } from 'kysely';

/** Encryption at rest: one envelope per encrypted object, and the accounts' own public keys. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('media_envelopes')
    // standard | archive: the tier holding the object (the same key may exist in both while archiving).
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('chunk_size', 'integer', (c) => c.notNull())
    // Binary values are base64 text: the same column type and SQL on SQLite and PostgreSQL.
    .addColumn('nonce_prefix', 'text', (c) => c.notNull())
    .addColumn('service_key_id', 'text')
    .addColumn('service_wrapped_key', 'text')
    .addColumn('customer_wrapped_key', 'text')
    .addColumn('customer_key_fingerprint', 'text')
    .addColumn('plaintext_bytes', 'bigint')
    .addColumn('plaintext_sha256', 'text')
    .addColumn('ciphertext_bytes', 'bigint')
    .addColumn('ciphertext_sha256', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_envelopes_pk', ['tier', 'blob_key'])
    .execute();
  await db.schema.createIndex('media_envelopes_service_key').on('media_envelopes').columns(['service_key_id']).execute();

  // An account's RSA public key (PEM): data keys of its new media are wrapped under it.
  await db.schema.alterTable('accounts').addColumn('encryption_public_key', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('encryption_key_set_at', 'text').execute();
}
