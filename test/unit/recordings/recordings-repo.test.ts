import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/storage/db/database.js';
import { migrateToLatest } from '../../../src/storage/db/migrator.js';
import { KyselyRecordingRepository } from '../../../src/storage/db/recordings.repo.js';
import type { Recording } from '../../../src/recordings/recording.js';
import { NEW_RECORDING_STORAGE } from '../../../src/recordings/recording.js';

function recording(i: number, accountId: string, at: Date): Recording {
  return {
    id: `RE${String(i).padStart(32, '0')}`, accountId, callId: `CA${i % 3}`, status: i % 4 === 0 ? 'failed' : 'completed', source: 'upload', channels: 2,
    sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null, dateCreated: at, dateUpdated: at, media: {}, details: {}, ...NEW_RECORDING_STORAGE,
  };
}

describe('recordings repository paging (in-memory SQLite)', () => {
  let handle: DatabaseHandle;
  let repo: KyselyRecordingRepository;
  beforeAll(async () => {
    handle = openDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    await handle.db.insertInto('accounts').values([{ id: 'A', name: 'a', created_at: '' }, { id: 'B', name: 'b', created_at: '' }]).execute();
    repo = new KyselyRecordingRepository(handle);
    // 30 recordings; every third pair shares a timestamp to exercise the id tie-break.
    for (let i = 0; i < 30; i++) await repo.insert(recording(i, 'A', new Date(Date.UTC(2026, 0, 1, 0, Math.floor(i / 2)))));
    await repo.insert(recording(99, 'B', new Date(Date.UTC(2026, 0, 1))));
  });
  afterAll(async () => handle.close());

  it('pages cover every row exactly once, newest first, ties broken by id descending', async () => {
    const all: Recording[] = [];
    for (let page = 1; page <= 4; page++) {
      const { items, total } = await repo.list('A', {}, { page, size: 8 });
      expect(total).toBe(30);
      all.push(...items);
    }
    expect(all.map((r) => r.id)).toEqual([...Array(30).keys()].reverse().map((i) => `RE${String(i).padStart(32, '0')}`));
  });

  it('gives the same total on a full page, the last short page, exact multiples and a page past the end', async () => {
    // 30 rows: pages of 10 end exactly on the last page; pages of 8 end short; page 9 is past the end.
    for (const [page, size, rows] of [[1, 10, 10], [3, 10, 10], [4, 10, 0], [4, 8, 6], [9, 8, 0], [1, 30, 30], [1, 31, 30]]) {
      const { items, total } = await repo.list('A', {}, { page, size });
      expect([page, size, items.length, total]).toEqual([page, size, rows, 30]);
    }
    expect((await repo.list('A', { callId: 'CA-none' }, { page: 1, size: 10 })).total).toBe(0);
  });

  it('counts all matches of a filter, not just the page', async () => {
    const { items, total } = await repo.list('A', { callId: 'CA1', status: 'completed' }, { page: 1, size: 2 });
    expect(items).toHaveLength(2);
    expect(total).toBe([...Array(30).keys()].filter((i) => i % 3 === 1 && i % 4 !== 0).length);
  });

  it('scopes every read to the account', async () => {
    expect(await repo.findById('B', recording(1, 'A', new Date()).id)).toBeNull();
    expect((await repo.list('B', {}, { page: 1, size: 100 })).total).toBe(1);
  });

  it('applies a conditional update only once', async () => {
    const id = recording(5, 'A', new Date()).id;
    await repo.update(id, { status: 'in-progress' }, new Date());
    expect(await repo.update(id, { status: 'completed' }, new Date(), 'in-progress')).toBe(true);
    expect(await repo.update(id, { status: 'completed' }, new Date(), 'in-progress')).toBe(false);
  });
});
