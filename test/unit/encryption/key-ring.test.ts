import { generateKeyPairSync, privateDecrypt, constants, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyRing, KeyUnwrapError, parseMasterKeys, UnknownMasterKeyError } from '../../../src/compliance/encryption/key-ring.js';
import { parseCustomerPublicKey, wrapForCustomer } from '../../../src/compliance/encryption/customer-key.js';
import { DomainError } from '../../../src/errors.js';
import { loadConfig, ConfigError } from '../../../src/config.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe('master keys', () => {
  it('wraps under the active key and unwraps under any configured key', () => {
    const old = new KeyRing([{ id: 'k1', key: k1 }], 'k1');
    const dataKey = randomBytes(32);
    const w1 = old.wrap(dataKey);
    expect(w1.keyId).toBe('k1');
    expect(w1.wrapped.length).toBe(60);
    const rotated = new KeyRing([{ id: 'k1', key: k1 }, { id: 'k2', key: k2 }], 'k2');
    expect(rotated.unwrap('k1', w1.wrapped).equals(dataKey)).toBe(true);
    const w2 = rotated.wrap(dataKey);
    expect(w2.keyId).toBe('k2');
    expect(new KeyRing([{ id: 'k2', key: k2 }], 'k2').unwrap('k2', w2.wrapped).equals(dataKey)).toBe(true);
  });

  it('says clearly when a key id is not configured, or its material is wrong', () => {
    const dataKey = randomBytes(32);
    const wrapped = new KeyRing([{ id: 'k1', key: k1 }], 'k1').wrap(dataKey).wrapped;
    const without = new KeyRing([{ id: 'k2', key: k2 }], 'k2');
    expect(() => without.unwrap('k1', wrapped)).toThrow(UnknownMasterKeyError);
    expect(() => without.unwrap('k1', wrapped)).toThrow(/master key "k1" is not configured.*ENCRYPTION_MASTER_KEYS/);
    // Same id, other material: refused, not garbage.
    expect(() => new KeyRing([{ id: 'k1', key: k2 }], 'k1').unwrap('k1', wrapped)).toThrow(KeyUnwrapError);
    // A wrapped key is bound to its id.
    expect(() => new KeyRing([{ id: 'k9', key: k1 }], 'k9').unwrap('k9', wrapped)).toThrow(KeyUnwrapError);
  });

  it('parses ENCRYPTION_MASTER_KEYS and rejects malformed values without echoing key material', () => {
    const b1 = k1.toString('base64');
    expect(parseMasterKeys(` k1:${b1} , k2:${k2.toString('base64')}`).map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(() => parseMasterKeys(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/16 bytes.*32/);
    expect(() => parseMasterKeys('k1:not base64!')).toThrow(/not base64/);
    expect(() => parseMasterKeys(`k1:${b1},k1:${b1}`)).toThrow(/twice/);
    expect(() => parseMasterKeys(b1)).toThrow(/id:base64key/);
    try {
      parseMasterKeys(`k1:${b1}xx`);
    } catch (err) {
      expect((err as Error).message).not.toContain(b1);
    }
  });

  it('configuration: on with keys, the active id must be one of them', () => {
    const keys = `a:${k1.toString('base64')},b:${k2.toString('base64')}`;
    expect(loadConfig({ ENCRYPTION_MASTER_KEYS: keys, ENCRYPTION_ACTIVE_KEY_ID: 'b' }).encryption?.activeKeyId).toBe('b');
    expect(loadConfig({ ENCRYPTION_MASTER_KEYS: `a:${k1.toString('base64')}` }).encryption?.activeKeyId).toBe('a');
    expect(loadConfig({}).encryption).toBeUndefined();
    expect(() => loadConfig({ ENCRYPTION_MASTER_KEYS: keys })).toThrow(ConfigError);
    expect(() => loadConfig({ ENCRYPTION_MASTER_KEYS: keys, ENCRYPTION_ACTIVE_KEY_ID: 'c' })).toThrow(/"c" is not one of the ids/);
    expect(() => loadConfig({ ENCRYPTION_ACTIVE_KEY_ID: 'a' })).toThrow(/ENCRYPTION_MASTER_KEYS is not/);
    expect(() => loadConfig({ ENCRYPTION_MASTER_KEYS: 'a:abc' })).toThrow(/ENCRYPTION_MASTER_KEYS: key "a" is 2 bytes/);
  });
});

describe('customer public keys', () => {
  const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

  it('accepts RSA 2048+ (SPKI or PKCS#1) and wraps data keys with RSA-OAEP-SHA256', () => {
    const pair = rsa(2048);
    const key = parseCustomerPublicKey(pair.publicKey);
    expect(key.bits).toBe(2048);
    expect(key.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const pkcs1 = parseCustomerPublicKey(key.key.export({ type: 'pkcs1', format: 'pem' }) as string);
    expect(pkcs1.fingerprint).toBe(key.fingerprint);
    const dataKey = randomBytes(32);
    const wrapped = wrapForCustomer(key.key, dataKey);
    expect(wrapped.length).toBe(256);
    const unwrapped = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
    expect(unwrapped.equals(dataKey)).toBe(true);
  });

  it('refuses small RSA keys, other key types, private keys and garbage with precise codes', () => {
    const code = (pem: string) => {
      try {
        parseCustomerPublicKey(pem);
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
        return (err as DomainError).code;
      }
    };
    expect(code(rsa(1024).publicKey)).toBe('encryption_key_size');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(code(ec.publicKey)).toBe('encryption_key_unsupported');
    expect(code(rsa(2048).privateKey)).toBe('encryption_key_private');
    expect(code('hello')).toBe('encryption_key_invalid');
    expect(code('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toBe('encryption_key_invalid');
  });
});
