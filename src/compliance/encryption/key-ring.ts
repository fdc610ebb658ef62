/**
 * Master keys from configuration (`ENCRYPTION_MASTER_KEYS`, `ENCRYPTION_ACTIVE_KEY_ID`) and
 * the wrapping of per-object data keys under them. A wrapped data key is
 * `iv (12) || AES-256-GCM(dataKey) (32) || tag (16)` with the master key's id as AAD, so a
 * wrapped key cannot be presented under another id. New keys are always wrapped under the
 * active master key; any configured key unwraps, which is what lets rotation re-wrap.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One master key: its id (stored beside every key it wraps) and 32 bytes of key material. */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** Master key ids: what `ENCRYPTION_MASTER_KEYS` and the envelopes may contain. */
export const MASTER_KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A data key is wrapped under a master key id that is not configured. */
export class UnknownMasterKeyError extends Error {
  constructor(readonly keyId: string) {
    super(
      `master key "${keyId}" is not configured: stored media keys are wrapped under it. Add it back to ENCRYPTION_MASTER_KEYS ` +
        '(as id:base64key), and keep it there until "telefonie encryption rotate" has re-wrapped everything under the active key',
    );
  }
}

/** A wrapped data key did not authenticate under its master key (wrong key material, or altered). */
export class KeyUnwrapError extends Error {
  constructor(readonly keyId: string) {
    super(`a data key wrapped under master key "${keyId}" does not authenticate: the configured key material for "${keyId}" is not the one that wrapped it`);
  }
}

/** The configured master keys; wraps under the active one, unwraps under any. */
export class KeyRing {
  private readonly keys: Map<string, Buffer>;

  constructor(
    keys: MasterKey[],
    readonly activeKeyId: string,
  ) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    for (const k of keys) if (k.key.length !== 32) throw new Error(`master key "${k.id}" must be 32 bytes, got ${k.key.length}`);
    if (!this.keys.has(activeKeyId)) throw new Error(`the active master key "${activeKeyId}" is not among the configured keys`);
  }

  /** Ids of the configured keys. */
  ids(): string[] {
    return [...this.keys.keys()];
  }

  /** Whether a key id is configured. */
  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Wraps a data key under the active master key. */
  wrap(dataKey: Buffer): { keyId: string; wrapped: Buffer } {
    const keyId = this.activeKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, iv);
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  /** Unwraps a data key; throws UnknownMasterKeyError or KeyUnwrapError. */
  unwrap(keyId: string, wrapped: Buffer): Buffer {
    const master = this.keys.get(keyId);
    if (!master) throw new UnknownMasterKeyError(keyId);
    if (wrapped.length !== 12 + 32 + 16) throw new KeyUnwrapError(keyId);
    const decipher = createDecipheriv('aes-256-gcm', master, wrapped.subarray(0, 12));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
    } catch {
      throw new KeyUnwrapError(keyId);
    }
  }
}

/**
 * Parses `ENCRYPTION_MASTER_KEYS`: a comma list of `id:base64key`, each key exactly 32 bytes
 * (`openssl rand -base64 32`). Throws an Error whose message says what is wrong, never the key.
 */
export function parseMasterKeys(raw: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.indexOf(':');
    const id = colon > 0 ? item.slice(0, colon) : '';
    if (!MASTER_KEY_ID_PATTERN.test(id)) throw new Error('each entry must be id:base64key with an id of letters, digits, ".", "_" or "-" (at most 64)');
    const b64 = item.slice(colon + 1);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error(`key "${id}" is not base64 (generate one with: openssl rand -base64 32)`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new Error(`key "${id}" is ${key.length} bytes; AES-256 needs 32 (generate one with: openssl rand -base64 32)`);
    if (keys.some((k) => k.id === id)) throw new Error(`key id "${id}" appears twice`);
    keys.push({ id, key });
  }
  if (keys.length === 0) throw new Error('no keys given');
  return keys;
}
