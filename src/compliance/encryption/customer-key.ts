/**
 * Customer-held keys: an account may register an RSA public key; data keys of its media
 * stored afterwards are wrapped with RSA-OAEP (SHA-256 for the hash and MGF1) under it, so
 * only the holder of the private key can decrypt them.
 */
import { constants, createHash, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { DomainError } from '../../errors.js';

/** The key wrapping of customer keys, as shown in `encryption_details.key_wrap`. */
export const CUSTOMER_KEY_WRAP = 'RSA-OAEP-SHA256';
/** Smallest accepted modulus, bits. */
export const MIN_RSA_BITS = 2048;
/** Largest accepted modulus, bits (bigger keys only slow every upload down). */
export const MAX_RSA_BITS = 8192;

/** A validated customer public key. */
export interface CustomerPublicKey {
  /** As the customer sent it (trimmed). */
  pem: string;
  key: KeyObject;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex: names the key pair without revealing anything. */
  fingerprint: string;
  bits: number;
}

function invalid(code: string, message: string): DomainError {
  return new DomainError('invalid', code, message);
}

/** Validates a PEM public key: RSA, 2048 to 8192 bits, not a private key. Throws DomainError('invalid'). */
export function parseCustomerPublicKey(pem: string): CustomerPublicKey {
  const text = pem.trim();
  // createPublicKey would happily derive the public half of a private key: refuse it instead,
  // so a private key pasted by mistake is never stored.
  if (/PRIVATE KEY/.test(text)) throw invalid('encryption_key_private', 'this is a private key: send only the public key, and keep the private key to yourself');
  if (!/^-----BEGIN (RSA )?PUBLIC KEY-----/.test(text)) throw invalid('encryption_key_invalid', 'public_key_pem must be a PEM public key ("-----BEGIN PUBLIC KEY-----")');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw invalid('encryption_key_invalid', 'public_key_pem is not a readable PEM public key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw invalid('encryption_key_unsupported', `the key must be RSA (for RSA-OAEP-SHA256); this one is ${key.asymmetricKeyType}`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw invalid('encryption_key_size', `RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits; this one has ${bits}`);
  return { pem: text, key, fingerprint: publicKeyFingerprint(key), bits };
}

/** SHA-256 of a public key's DER SubjectPublicKeyInfo, hex. */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Wraps a data key for the customer: RSA-OAEP with SHA-256 (and MGF1-SHA-256). */
export function wrapForCustomer(key: KeyObject, dataKey: Buffer): Buffer {
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
}
