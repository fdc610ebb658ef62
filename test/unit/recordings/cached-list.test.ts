import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyRecordingRepository } from '../../../src/storage/db/recordings.repo.js';
import { CachedRecordingReader, RecordingCache } from '../../../src/recordings/recording-cache.js';
import { NEW_RECORDING_STORAGE, type Recording } from '../../../src/recordings/recording.js';
import { openMigratedDatabase, repositoryDialects } from '../../helpers/backends.js';

function recording(i: number, accountId: string, callId: string, at: Date): Recording {
  return {
    id: `RE${String(i).padStart(32, '0')}`, accountId, callId, status: 'completed', source: 'upload', channels: 1,
    sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null, dateCreated: at, dateUpdated: at,
    media: { wav: { key: `k/${i}.wav`, bytes: 10, sha256: 'a'.repeat(64) } }, details: {}, ...NEW_RECORDING_STORAGE,
  };
}

// Lists through the recording cache: ids from the filter's index, recordings from the cache or
// one query for those it lacks. What they return must be exactly what the repository's own list returns.
describe.each(repositoryDialects)('CachedRecordingReader.list on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let repo: KyselyRecordingRepository;
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

  beforeAll(async () => {
    database = await openMigratedDatabase(dialect);
    await database.handle.db.insertInto('accounts').values([{ id: 'A', name: 'a', created_at: '' }, { id: 'B', name: 'b', created_at: '' }]).execute();
    repo = new KyselyRecordingRepository(database.handle);
    // Five of A on call CA1 (two sharing a timestamp: the id orders them), one of A elsewhere, one of B on CA1.
    for (const [i, minute] of [[1, 1], [2, 2], [3, 3], [4, 3], [5, 5]]) await repo.insert(recording(i, 'A', 'CA1', at(minute)));
    await repo.insert(recording(6, 'A', 'CA2', at(6)));
    await repo.insert(recording(7, 'B', 'CA1', at(7)));
  });
  afterAll(async () => database.close());

  const pages = [
    { filter: { callId: 'CA1' }, page: { page: 1, size: 20 } },
    { filter: { callId: 'CA1' }, page: { page: 2, size: 2 } },
    { filter: { callId: 'CA1' }, page: { page: 3, size: 2 } },
    { filter: { status: 'completed' as const }, page: { page: 1, size: 3 } },
    { filter: {}, page: { page: 1, size: 20 } },
  ];

  it('returns what the repository lists, page for page, cold and then from the cache', async () => {
    const cache = new RecordingCache();
    cache.setEnabled(true);
    const reader = new CachedRecordingReader(cache, repo);
    for (const { filter, page } of pages) {
      const expected = await repo.list('A', filter, page);
      expect(await reader.list('A', filter, page)).toEqual(expected);
      // The second time every recording comes from the cache: the very objects stored the first time.
      const again = await reader.list('A', filter, page);
      expect(again).toEqual(expected);
      for (const r of again.items) expect(r).toBe(cache.get(r.id));
    }
    expect((await reader.list('B', { callId: 'CA1' }, { page: 1, size: 20 })).items.map((r) => r.id)).toEqual([recording(7, 'B', '', at(0)).id]);
  });

  it('shows a change once the cache is told of it, and leaves out a recording deleted between the two reads', async () => {
    const cache = new RecordingCache();
    cache.setEnabled(true);
    const id = recording(5, 'A', '', at(0)).id;
    let deleteBetween: string | undefined;
    // The real repository, with a delete slipped in after the ids are read.
    const racing = {
      list: repo.list.bind(repo),
      findByIdUnscoped: repo.findByIdUnscoped.bind(repo),
      findManyByIdUnscoped: repo.findManyByIdUnscoped.bind(repo),
      listIds: async (...args: Parameters<KyselyRecordingRepository['listIds']>) => {
        const result = await repo.listIds(...args);
        if (deleteBetween) await repo.delete('A', deleteBetween);
        return result;
      },
    };
    const reader = new CachedRecordingReader(cache, racing);
    await reader.list('A', { callId: 'CA1' }, { page: 1, size: 20 });
    await repo.update(id, { status: 'failed', errorCode: 'x' }, at(9));
    cache.invalidate([id]);
    const listed = await reader.list('A', { callId: 'CA1' }, { page: 1, size: 20 });
    expect(listed.items.find((r) => r.id === id)?.status).toBe('failed');

    cache.invalidateAll();
    deleteBetween = recording(4, 'A', '', at(0)).id;
    const page = await reader.list('A', { callId: 'CA1' }, { page: 1, size: 20 });
    expect(page.items.map((r) => r.id)).not.toContain(deleteBetween);
    expect(page.items).toHaveLength(4);
  });

  it('answers a page read before without a query, until any recording changes', async () => {
    let external = false;
    const cache = new RecordingCache(20_000, () => external);
    cache.setEnabled(true);
    let queries = 0;
    let duringRead = () => {};
    const counting = {
      list: repo.list.bind(repo),
      findByIdUnscoped: repo.findByIdUnscoped.bind(repo),
      findManyByIdUnscoped: repo.findManyByIdUnscoped.bind(repo),
      listIds: async (...args: Parameters<KyselyRecordingRepository['listIds']>) => {
        queries++;
        const result = await repo.listIds(...args);
        duringRead();
        return result;
      },
    };
    const reader = new CachedRecordingReader(cache, counting);
    const expected = await repo.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    for (let i = 0; i < 3; i++) expect(await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 })).toEqual(expected);
    expect(queries).toBe(1);
    // Another page, filter or account is a page of its own.
    await reader.list('A', { callId: 'CA1' }, { page: 2, size: 2 });
    await reader.list('A', { callId: 'CA2' }, { page: 1, size: 2 });
    await reader.list('B', { callId: 'CA1' }, { page: 1, size: 2 });
    await reader.list('A', { callId: 'CA1', createdAfter: at(2) }, { page: 1, size: 2 });
    expect(queries).toBe(5);
    await reader.list('A', { callId: 'CA1', createdAfter: at(2) }, { page: 1, size: 2 });
    expect(queries).toBe(5);
    // A change to any recording, even one on no cached page, drops every page.
    cache.invalidate([recording(7, 'B', '', at(0)).id]);
    await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    expect(queries).toBe(6);
    external = true; // another connection committed (SQLite's data_version moved)
    await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    external = false;
    expect(queries).toBe(7);
    // A page read while a change happened is not kept.
    duringRead = () => cache.invalidate([recording(1, 'A', '', at(0)).id]);
    await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    duringRead = () => {};
    await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    expect(queries).toBe(9);
    await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    expect(queries).toBe(9);
    // A new recording on the call: the write's invalidation shows it on the next read.
    await repo.insert(recording(8, 'A', 'CA1', at(8)));
    cache.invalidate([recording(8, 'A', '', at(0)).id]);
    const after = await reader.list('A', { callId: 'CA1' }, { page: 1, size: 2 });
    expect(after.total).toBe(expected.total + 1);
    expect(after.items[0].id).toBe(recording(8, 'A', '', at(0)).id);
    await repo.delete('A', recording(8, 'A', '', at(0)).id);
  });

  it('reads whole rows when the cache is off, and for full-text search', async () => {
    const cache = new RecordingCache();
    const reader = new CachedRecordingReader(cache, repo);
    const filter = { callId: 'CA1' };
    expect(await reader.list('A', filter, { page: 1, size: 20 })).toEqual(await repo.list('A', filter, { page: 1, size: 20 }));
    expect(cache.size).toBe(0);
    cache.setEnabled(true);
    expect(await reader.list('A', { q: 'nothing matches' }, { page: 1, size: 20 })).toEqual({ items: [], total: 0, snippets: {} });
    expect(cache.size).toBe(0);
  });

  it('reads many recordings by id in one query, leaving out unknown ids', async () => {
    const found = await repo.findManyByIdUnscoped([recording(7, 'B', '', at(0)).id, 'RE-unknown', recording(1, 'A', '', at(0)).id]);
    expect(found.map((r) => r.id).sort()).toEqual([recording(1, 'A', '', at(0)).id, recording(7, 'B', '', at(0)).id]);
    expect(await repo.findManyByIdUnscoped([])).toEqual([]);
  });
});
