import { Type, type Static } from '@sinclair/typebox';

/** An account's own public key: data keys of its new media are wrapped under it (RSA-OAEP-SHA256). */
export const EncryptionKeySchema = Type.Object(
  {
    public_key_pem: Type.String({ description: 'PEM RSA public key (SubjectPublicKeyInfo or PKCS#1)' }),
    fingerprint: Type.String({ description: 'SHA-256 of the DER SubjectPublicKeyInfo, hex; also in encryption_details.key_fingerprint' }),
    key_size: Type.Integer({ description: 'RSA modulus, bits' }),
    key_wrap: Type.String({ description: 'How data keys are wrapped under it: RSA-OAEP-SHA256 (SHA-256 for OAEP and MGF1)' }),
    date_set: Type.String({ format: 'date-time' }),
  },
  { $id: 'EncryptionKey' },
);
export type EncryptionKeyView = Static<typeof EncryptionKeySchema>;

export const SetEncryptionKeyBody = Type.Object(
  { public_key_pem: Type.String({ minLength: 1, maxLength: 20_000, description: 'PEM RSA public key, 2048 to 8192 bits; never a private key' }) },
  { additionalProperties: false },
);
