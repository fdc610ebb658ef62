import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { EncryptionService } from '../../../src/compliance/encryption/encryption.service.js';
import { ServiceKeyReleasedError } from '../../../src/compliance/encryption/encrypting-blob-store.js';
import { CiphertextAuthError } from '../../../src/compliance/encryption/chunked-gcm.js';
import { KeyRing, UnknownMasterKeyError } from '../../../src/compliance/encryption/key-ring.js';
import type { CustomerKeyRepository, StoredCustomerKey } from '../../../src/compliance/encryption/envelope.js';
import { BlobNotFoundError } from '../../../src/storage/blob/blob-store.js';
import { systemClock } from '../../../src/clock.js';
import { NEW_RECORDING_STORAGE, type Recording } from '../../../src/recordings/recording.js';
import { entropy, MemoryBlobStore, MemoryEnvelopeRepository, readAll } from './fakes.js';

const K1 = { id: 'k1', key: randomBytes(32) };
const K2 = { id: 'k2', key: randomBytes(32) };
const C = 4096;

class MemoryCustomerKeys implements CustomerKeyRepository {
  keys = new Map<string, StoredCustomerKey>();
  async get(accountId: string) {
    return this.keys.get(accountId) ?? null;
  }
  async set(accountId: string, key: StoredCustomerKey | null) {
    if (key) this.keys.set(accountId, key);
    else this.keys.delete(accountId);
    return true;
  }
}

/** A log that remembers error lines. */
function memoryLog() {
  const errors: Array<Record<string, unknown>> = [];
  const log: any = {
    error: (obj: Record<string, unknown>, msg: string) => errors.push({ ...obj, msg }),
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
    child: () => log,
  };
  return { log, errors };
}

function setup(ring = new KeyRing([K1], 'k1'), envelopes = new MemoryEnvelopeRepository(), raw = { standard: new MemoryBlobStore(positional), archive: new MemoryBlobStore(positional) }) {
  const customerKeys = new MemoryCustomerKeys();
  const { log, errors } = memoryLog();
  const service = new EncryptionService({ ring, envelopes, customerKeys, log, clock: systemClock, chunkSize: C });
  return { service, envelopes, raw, customerKeys, errors, standard: service.wrap('standard', raw.standard), archive: service.wrap('archive', raw.archive) };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function recording(id: string, accountId: string, extra: Partial<Recording> = {}): Recording {
  const now = new Date();
  return {
    id, accountId, callId: 'CA1', status: 'completed', source: 'upload', channels: 1, sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null,
    dateCreated: now, dateUpdated: now, details: {}, ...NEW_RECORDING_STORAGE,
    media: { wav: { key: `recordings/${accountId}/${id}.wav`, bytes: 0, sha256: '' }, mp3: { key: `recordings/${accountId}/${id}.mp3`, bytes: 0, sha256: '' } },
    ...extra,
  };
}

/** Reads through streams (object storage) or by position (local disk). */
let positional = false;

describe.each(['streamed', 'positional'])('EncryptingBlobStore, %s reads', (mode) => {
  beforeAll(() => {
    positional = mode === 'positional';
  });

  it('stores ciphertext, returns the plaintext size and SHA-256, and reads back whole objects and ranges', async () => {
    const { standard, raw, envelopes } = setup();
    const plaintext = Buffer.concat([Buffer.from('RIFF'), randomBytes(3 * C + 100)]);
    const put = await standard.put('recordings/AC1/RE1.wav', Readable.from([plaintext.subarray(0, 1000), plaintext.subarray(1000)]));
    expect(put).toEqual({ size: plaintext.length, sha256: sha(plaintext) });
    const stored = raw.standard.objects.get('recordings/AC1/RE1.wav')!;
    expect(stored.length).toBe(plaintext.length + 4 * 16);
    expect(stored.subarray(0, 4).toString('latin1')).not.toBe('RIFF');
    expect(entropy(stored)).toBeGreaterThan(7.9);
    const envelope = (await envelopes.find('standard', 'recordings/AC1/RE1.wav'))!;
    expect(envelope).toMatchObject({ algorithm: 'AES-256-GCM-chunked', chunkSize: C, serviceKeyId: 'k1', plaintextBytes: plaintext.length, ciphertextBytes: stored.length, ciphertextSha256: sha(stored), customerWrappedKey: null });
    expect((await readAll(await standard.get('recordings/AC1/RE1.wav'))).equals(plaintext)).toBe(true);
    for (const [start, end] of [[0, 0], [C - 1, C], [C, 2 * C - 1], [2 * C - 1, 3 * C + 1], [plaintext.length - 1, plaintext.length - 1]]) {
      expect((await readAll(await standard.get('recordings/AC1/RE1.wav', { start, end }))).equals(plaintext.subarray(start, end + 1))).toBe(true);
    }
    expect(await standard.stat('recordings/AC1/RE1.wav')).toMatchObject({ size: plaintext.length });
    expect(raw.standard.openReaders).toBe(0);
    // Buffers work too, and an empty object is one empty chunk.
    expect(await standard.put('recordings/AC1/empty.wav', Buffer.alloc(0))).toMatchObject({ size: 0 });
    expect((await readAll(await standard.get('recordings/AC1/empty.wav'))).length).toBe(0);
  });

  it('never offers presigned URLs (they would hand out ciphertext), even over S3', () => {
    const { standard, raw } = setup();
    expect(raw.standard.signedUrl).toBeDefined();
    expect(standard.signedUrl).toBeUndefined();
  });

  it('reads objects stored before encryption was enabled as they are', async () => {
    const { standard, raw } = setup();
    raw.standard.objects.set('recordings/AC1/old.wav', Buffer.from('plain old audio'));
    expect((await readAll(await standard.get('recordings/AC1/old.wav'))).toString()).toBe('plain old audio');
    expect((await readAll(await standard.get('recordings/AC1/old.wav', { start: 6, end: 8 }))).toString()).toBe('old');
    expect(await standard.stat('recordings/AC1/old.wav')).toMatchObject({ size: 15 });
  });

  it('delete removes the object and its envelope; absent keys are BlobNotFoundError', async () => {
    const { standard, raw, envelopes } = setup();
    await standard.put('recordings/AC1/RE2.wav', randomBytes(100));
    await standard.delete('recordings/AC1/RE2.wav');
    expect(raw.standard.objects.size).toBe(0);
    expect(envelopes.rows.size).toBe(0);
    await expect(standard.get('recordings/AC1/RE2.wav')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await standard.stat('recordings/AC1/RE2.wav')).toBeNull();
  });

  it('deleteMany removes the objects and their envelopes, absent keys included', async () => {
    const { standard, raw, envelopes } = setup();
    await standard.put('recordings/AC1/RE3.wav', randomBytes(100));
    await standard.put('recordings/AC1/RE4.wav', randomBytes(100));
    await standard.put('recordings/AC1/RE5.wav', randomBytes(100));
    await standard.deleteMany(['recordings/AC1/RE3.wav', 'recordings/AC1/RE5.wav', 'recordings/AC1/absent.wav']);
    expect([...raw.standard.objects.keys()]).toEqual(['recordings/AC1/RE4.wav']);
    expect(envelopes.rows.size).toBe(1);
    expect(await standard.stat('recordings/AC1/RE4.wav')).toMatchObject({ size: 100 });
  });

  it('a flipped stored byte fails the read with an error, releases nothing of that chunk, and is logged', async () => {
    const { standard, raw, errors } = setup();
    const plaintext = randomBytes(3 * C);
    await standard.put('recordings/AC1/RE3.wav', plaintext);
    raw.standard.objects.get('recordings/AC1/RE3.wav')![C + 16 + 10] ^= 0x80;
    const stream = await standard.get('recordings/AC1/RE3.wav');
    const got: Buffer[] = [];
    const error = await new Promise((resolve) => {
      stream.on('data', (d: Buffer) => got.push(d));
      stream.on('error', resolve);
      stream.on('end', () => resolve(null));
    });
    expect(error).toBeInstanceOf(CiphertextAuthError);
    expect(Buffer.concat(got).equals(plaintext.subarray(0, C))).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([expect.objectContaining({ key: 'recordings/AC1/RE3.wav', chunk: 1, tier: 'standard' })]);
    // A range that avoids the bad chunk still reads.
    expect((await readAll(await standard.get('recordings/AC1/RE3.wav', { start: 2 * C, end: 3 * C - 1 }))).equals(plaintext.subarray(2 * C))).toBe(true);
  });

  it('a truncated or extended stored object fails the read', async () => {
    const { standard, raw } = setup();
    await standard.put('recordings/AC1/RE9.wav', randomBytes(2 * C));
    const stored = raw.standard.objects.get('recordings/AC1/RE9.wav')!;
    for (const bad of [stored.subarray(0, stored.length - 1), stored.subarray(0, C + 16), Buffer.concat([stored, Buffer.from('x')])]) {
      raw.standard.objects.set('recordings/AC1/RE9.wav', bad);
      await expect(standard.get('recordings/AC1/RE9.wav').then(readAll)).rejects.toBeInstanceOf(CiphertextAuthError);
    }
    expect(raw.standard.openReaders).toBe(0);
  });

  it('two concurrent writers of one key leave a readable object; a failed write keeps the previous one readable', async () => {
    const { standard, raw } = setup();
    raw.standard.putDelayMs = 30;
    const a = randomBytes(2 * C);
    const b = randomBytes(2 * C);
    await Promise.all([standard.put('recordings/AC1/RE4.mp3', a), standard.put('recordings/AC1/RE4.mp3', b)]);
    const got = await readAll(await standard.get('recordings/AC1/RE4.mp3'));
    expect(got.equals(a) || got.equals(b)).toBe(true);
    raw.standard.failNextPut = true;
    await expect(standard.put('recordings/AC1/RE4.mp3', randomBytes(10))).rejects.toThrow('disk full');
    const again = await readAll(await standard.get('recordings/AC1/RE4.mp3'));
    expect(again.equals(got)).toBe(true);
    // A failed first write leaves nothing behind.
    raw.standard.failNextPut = true;
    await expect(standard.put('recordings/AC1/RE5.mp3', randomBytes(10))).rejects.toThrow('disk full');
    await expect(standard.get('recordings/AC1/RE5.mp3')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('copies whole objects between tiers as ciphertext with the same envelope (archiving), checked by SHA-256', async () => {
    const { standard, archive, raw, envelopes } = setup();
    const plaintext = randomBytes(C + 5);
    const put = await standard.put('recordings/AC1/RE6.wav', plaintext);
    const copied = await archive.put('recordings/AC1/RE6.wav', await standard.get('recordings/AC1/RE6.wav'));
    expect(copied).toEqual(put);
    expect(raw.archive.objects.get('recordings/AC1/RE6.wav')!.equals(raw.standard.objects.get('recordings/AC1/RE6.wav')!)).toBe(true);
    const s = (await envelopes.find('standard', 'recordings/AC1/RE6.wav'))!;
    const a = (await envelopes.find('archive', 'recordings/AC1/RE6.wav'))!;
    expect(a.noncePrefix.equals(s.noncePrefix)).toBe(true);
    expect((await readAll(await archive.get('recordings/AC1/RE6.wav'))).equals(plaintext)).toBe(true);
    expect(await archive.verifyStored('recordings/AC1/RE6.wav')).toMatchObject({ encrypted: true, ok: true });
    raw.archive.objects.get('recordings/AC1/RE6.wav')![3] ^= 1;
    expect(await archive.verifyStored('recordings/AC1/RE6.wav')).toMatchObject({ encrypted: true, ok: false });
    expect(await archive.verifyStored('recordings/AC1/none.wav')).toMatchObject({ encrypted: false });
  });
});

describe('EncryptionService', () => {
  it('rotation re-wraps every data key under the active key, idempotently, without touching stored bytes', async () => {
    const envelopes = new MemoryEnvelopeRepository();
    const raw = { standard: new MemoryBlobStore(), archive: new MemoryBlobStore() };
    const before = setup(new KeyRing([K1], 'k1'), envelopes, raw);
    const plain: Buffer[] = [];
    for (let i = 0; i < 7; i++) {
      plain.push(randomBytes(C + i));
      await before.standard.put(`recordings/AC1/RE${i}.wav`, plain[i]);
    }
    const bytesBefore = new Map([...raw.standard.objects].map(([k, v]) => [k, Buffer.from(v)]));
    const during = setup(new KeyRing([K1, K2], 'k2'), envelopes, raw);
    expect(await during.service.rotate({ batchSize: 3 })).toEqual({ activeKeyId: 'k2', rewrapped: 7, skipped: 0 });
    expect(await during.service.rotate({ batchSize: 3 })).toEqual({ activeKeyId: 'k2', rewrapped: 0, skipped: 0 });
    expect([...raw.standard.objects].every(([k, v]) => v.equals(bytesBefore.get(k)!))).toBe(true);
    const after = setup(new KeyRing([K2], 'k2'), envelopes, raw);
    for (let i = 0; i < 7; i++) expect((await readAll(await after.standard.get(`recordings/AC1/RE${i}.wav`))).equals(plain[i])).toBe(true);
    expect((await after.service.status()).envelopesByKey).toEqual([{ keyId: 'k2', count: 7 }]);
  });

  it('rotation with a wrapping key missing from the configuration stops with a clear error', async () => {
    const envelopes = new MemoryEnvelopeRepository();
    const raw = { standard: new MemoryBlobStore(), archive: new MemoryBlobStore() };
    await setup(new KeyRing([K1], 'k1'), envelopes, raw).standard.put('recordings/AC1/RE1.wav', randomBytes(10));
    const missing = setup(new KeyRing([K2], 'k2'), envelopes, raw);
    await expect(missing.service.rotate()).rejects.toBeInstanceOf(UnknownMasterKeyError);
    await expect(missing.standard.get('recordings/AC1/RE1.wav')).rejects.toThrow(/master key "k1" is not configured/);
  });

  it('customer keys: new objects are also wrapped for the account; once processing is done only the key holder can decrypt', async () => {
    const { service, standard, archive, customerKeys, envelopes } = setup();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    await customerKeys.set('AC7', { pem: pair.publicKey, setAt: new Date() });
    const wav = randomBytes(2 * C);
    await standard.put('recordings/AC7/RE1.wav', wav);
    await standard.put('recordings/AC7/RE1.mp3', randomBytes(100));
    await standard.put('recordings/AC8/RE2.wav', randomBytes(100));
    const rec = recording('RE1', 'AC7');
    const details = await service.describe(rec, rec.media);
    expect(Object.keys(details!)).toEqual(['wav', 'mp3']);
    expect(details!.wav).toMatchObject({ algorithm: 'AES-256-GCM-chunked', chunkSize: C, keyWrap: 'RSA-OAEP-SHA256' });
    expect(await service.describe(recording('RE2', 'AC8'), recording('RE2', 'AC8').media)).toBeUndefined();
    // Still processing: the service reads it.
    expect((await readAll(await standard.get('recordings/AC7/RE1.wav'))).equals(wav)).toBe(true);
    // Transcription pending: kept.
    await service.processingDone({ ...rec, details: { transcribe: true } });
    expect((await envelopes.find('standard', 'recordings/AC7/RE1.wav'))!.serviceKeyId).toBe('k1');
    await service.processingDone(rec);
    expect((await envelopes.find('standard', 'recordings/AC7/RE1.wav'))!.serviceKeyId).toBeNull();
    expect((await envelopes.find('standard', 'recordings/AC8/RE2.wav'))!.serviceKeyId).toBe('k1');
    await expect(readAll(await standard.get('recordings/AC7/RE1.wav'))).rejects.toBeInstanceOf(ServiceKeyReleasedError);
    await expect(standard.get('recordings/AC7/RE1.wav', { start: 0, end: 9 })).rejects.toBeInstanceOf(ServiceKeyReleasedError);
    // Served as stored, and still movable to the archive.
    const sealed = (await service.sealedMedia('standard', 'recordings/AC7/RE1.wav'))!;
    expect(sealed.bytes).toBe(2 * C + 32);
    expect(await service.sealedMedia('standard', 'recordings/AC8/RE2.wav')).toBeNull();
    const moved = await archive.put('recordings/AC7/RE1.wav', await standard.get('recordings/AC7/RE1.wav'));
    expect(moved).toEqual({ size: wav.length, sha256: sha(wav) });
    expect((await service.sealedMedia('archive', 'recordings/AC7/RE1.wav'))!.sha256).toBe(sealed.sha256);
    // Rotation leaves customer-only envelopes alone.
    expect((await service.rotate()).rewrapped).toBe(0);
  });
});
