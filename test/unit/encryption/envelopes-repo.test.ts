import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/storage/db/database.js';
import { KyselyCustomerKeyRepository, KyselyEnvelopeRepository } from '../../../src/storage/db/envelopes.repo.js';
import type { Envelope } from '../../../src/compliance/encryption/envelope.js';
import { openMigratedDatabase, repositoryDialects } from '../../helpers/backends.js';

function pending(key: string, over: Partial<Envelope> = {}): Envelope {
  const now = new Date();
  return {
    tier: 'standard', blobKey: key, algorithm: 'AES-256-GCM-chunked', chunkSize: 65536, noncePrefix: randomBytes(8), serviceKeyId: 'k1', serviceWrappedKey: randomBytes(60),
    customerWrappedKey: null, customerKeyFingerprint: null, plaintextBytes: null, plaintextSha256: null, ciphertextBytes: null, ciphertextSha256: null, createdAt: now, updatedAt: now, ...over,
  };
}
const stored = { plaintextBytes: 5_000_000_000, plaintextSha256: 'a'.repeat(64), ciphertextBytes: 5_001_220_704, ciphertextSha256: 'b'.repeat(64) };

describe.each(repositoryDialects)('envelope repository on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let handle: DatabaseHandle;
  let repo: KyselyEnvelopeRepository;
  beforeAll(async () => {
    database = await openMigratedDatabase(dialect);
    handle = database.handle;
    repo = new KyselyEnvelopeRepository(handle.db);
  });
  afterAll(async () => database.close());

  it('claims once per writer, marks stored only for the claiming write, and round-trips every field', async () => {
    const first = pending('recordings/A/1.wav', { customerWrappedKey: randomBytes(256), customerKeyFingerprint: 'f'.repeat(64) });
    expect(await repo.claim(first, null, new Date(Date.now() - 60_000))).toBe(true);
    // A second writer sees no free slot while the first's lease is fresh.
    const second = pending('recordings/A/1.wav');
    expect(await repo.claim(second, null, new Date(Date.now() - 60_000))).toBe(false);
    expect(await repo.claim(second, first, new Date(Date.now() - 60_000))).toBe(false);
    expect(await repo.markStored('standard', 'recordings/A/1.wav', second.noncePrefix, stored)).toBe(false);
    expect(await repo.markStored('standard', 'recordings/A/1.wav', first.noncePrefix, stored)).toBe(true);
    const got = (await repo.find('standard', 'recordings/A/1.wav'))!;
    expect(got.noncePrefix.equals(first.noncePrefix)).toBe(true);
    expect(got.customerWrappedKey!.equals(first.customerWrappedKey!)).toBe(true);
    expect(got).toMatchObject({ ...stored, serviceKeyId: 'k1', customerKeyFingerprint: 'f'.repeat(64), chunkSize: 65536 });
    // Stored: the next writer may claim it, and a failed write puts it back.
    expect(await repo.claim(second, got, new Date(Date.now() - 60_000))).toBe(true);
    await repo.restore('standard', 'recordings/A/1.wav', second.noncePrefix, got);
    expect((await repo.find('standard', 'recordings/A/1.wav'))!.noncePrefix.equals(first.noncePrefix)).toBe(true);
    // A stale pending write (crashed writer) can be taken over.
    const stale = pending('recordings/A/2.wav');
    await repo.claim(stale, null, new Date());
    expect(await repo.claim(pending('recordings/A/2.wav'), stale, new Date(Date.now() + 1000))).toBe(true);
  });

  it('re-wraps conditionally, drops service keys only where a customer key exists, and counts by key', async () => {
    for (const [key, customer] of [['recordings/B/1.wav', true], ['recordings/B/2.wav', false]] as const) {
      const e = pending(key, customer ? { customerWrappedKey: randomBytes(256) } : {});
      await repo.claim(e, null, new Date());
      await repo.markStored('standard', key, e.noncePrefix, stored);
    }
    const todo = await repo.listToRewrap('k2', null, 100);
    // Pending writes too: re-wrapping keeps their data key, so the write completes normally.
    expect(todo.map((e) => e.blobKey)).toEqual(['recordings/A/1.wav', 'recordings/A/2.wav', 'recordings/B/1.wav', 'recordings/B/2.wav']);
    expect((await repo.listToRewrap('k2', { tier: 'standard', blobKey: 'recordings/B/1.wav' }, 100)).map((e) => e.blobKey)).toEqual(['recordings/B/2.wav']);
    expect(await repo.rewrap('standard', 'recordings/B/2.wav', 'k1', 'k2', randomBytes(60))).toBe(true);
    expect(await repo.rewrap('standard', 'recordings/B/2.wav', 'k1', 'k2', randomBytes(60))).toBe(false);
    expect(await repo.dropServiceKeys('standard', ['recordings/B/1.wav', 'recordings/B/2.wav'])).toBe(1);
    expect(await repo.dropServiceKeys('standard', ['recordings/B/1.wav'])).toBe(0);
    const counts = await repo.countByServiceKey();
    expect(counts).toEqual(expect.arrayContaining([{ keyId: null, count: 1 }, { keyId: 'k2', count: 1 }, { keyId: 'k1', count: 2 }]));
  });

  it('keeps an account public key on the account row', async () => {
    await handle.db.insertInto('accounts').values({ id: 'AC1', name: 'a', created_at: '' }).execute();
    const keys = new KyselyCustomerKeyRepository(handle.db);
    expect(await keys.get('AC1')).toBeNull();
    expect(await keys.get('nobody')).toBeUndefined();
    const setAt = new Date('2026-01-02T03:04:05.006Z');
    expect(await keys.set('AC1', { pem: 'PEM', setAt })).toBe(true);
    expect(await keys.get('AC1')).toEqual({ pem: 'PEM', setAt });
    expect(await keys.set('nobody', { pem: 'PEM', setAt })).toBe(false);
    await keys.set('AC1', null);
    expect(await keys.get('AC1')).toBeNull();
  });

  it('deleteMany removes the named envelopes of one tier, in chunks, and nothing else', async () => {
    const keys = Array.from({ length: 1203 }, (_, i) => `recordings/DM/${i}.wav`);
    for (const key of keys) expect(await repo.claim(pending(key), null, new Date(Date.now() - 60_000))).toBe(true);
    expect(await repo.claim(pending('recordings/DM/0.wav', { tier: 'archive' }), null, new Date(Date.now() - 60_000))).toBe(true);
    await repo.deleteMany('standard', [...keys.slice(0, 1202), 'recordings/DM/absent.wav']);
    expect(await repo.find('standard', keys[0])).toBeNull();
    expect(await repo.find('standard', keys[1201])).toBeNull();
    expect(await repo.find('standard', keys[1202])).not.toBeNull();
    expect(await repo.find('archive', keys[0])).not.toBeNull();
    await repo.deleteMany('standard', [keys[1202]]);
    await repo.deleteMany('archive', [keys[0]]);
    expect(await repo.find('standard', keys[1202])).toBeNull();
    expect(await repo.find('archive', keys[0])).toBeNull();
  });
});
