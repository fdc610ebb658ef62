import { describe, expect, it } from 'vitest';
import { CachedRecordingReader, RecordingCache } from '../../../src/recordings/recording-cache.js';
import { changesRecordings } from '../../../src/storage/db/recording-writes.js';
import type { Recording } from '../../../src/recordings/recording.js';

function recording(id: string, accountId = 'AC1', status: Recording['status'] = 'completed'): Recording {
  return {
    id, accountId, callId: 'CA1', status, source: 'upload', channels: 1, sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null,
    dateCreated: new Date(0), dateUpdated: new Date(0), media: {}, details: {}, storageClass: 'standard', legalHold: false, tags: [], mediaDeletedAt: null,
  };
}

/** A repository whose rows the test changes, counting the reads that reach it. */
function fakeRows() {
  const rows = new Map<string, Recording>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  return {
    rows,
    reads: () => reads,
    holdNextRead(until: Promise<void>) {
      gate = until;
    },
    async findByIdUnscoped(id: string): Promise<Recording | null> {
      reads++;
      const row = rows.get(id);
      const copy = row ? { ...row } : null;
      if (gate) await gate;
      gate = undefined;
      return copy;
    },
  };
}

describe('RecordingCache and CachedRecordingReader', () => {
  it('is off until turned on, then answers repeated reads from memory', async () => {
    const repo = fakeRows();
    repo.rows.set('RE1', recording('RE1'));
    const cache = new RecordingCache();
    const reader = new CachedRecordingReader(cache, repo);
    await reader.findByIdUnscoped('RE1');
    await reader.findByIdUnscoped('RE1');
    expect(repo.reads()).toBe(2);
    cache.setEnabled(true);
    await reader.findByIdUnscoped('RE1');
    await reader.findByIdUnscoped('RE1');
    expect(repo.reads()).toBe(3);
  });

  it("scopes by account: another account's id is null, as in the database", async () => {
    const repo = fakeRows();
    repo.rows.set('RE1', recording('RE1', 'AC1'));
    const cache = new RecordingCache();
    cache.setEnabled(true);
    const reader = new CachedRecordingReader(cache, repo);
    expect((await reader.findById('AC1', 'RE1'))?.id).toBe('RE1');
    expect(await reader.findById('AC2', 'RE1')).toBeNull();
  });

  it('never stores a read that overlapped an invalidation (it may be older than the change)', async () => {
    const repo = fakeRows();
    repo.rows.set('RE1', recording('RE1', 'AC1', 'in-progress'));
    const cache = new RecordingCache();
    cache.setEnabled(true);
    const reader = new CachedRecordingReader(cache, repo);
    let release!: () => void;
    repo.holdNextRead(new Promise((r) => (release = r)));
    const slow = reader.findByIdUnscoped('RE1'); // reads 'in-progress', then waits
    repo.rows.set('RE1', recording('RE1', 'AC1', 'completed'));
    cache.invalidate(['RE1']);
    release();
    expect((await slow)?.status).toBe('in-progress');
    expect((await reader.findByIdUnscoped('RE1'))?.status).toBe('completed');
  });

  it('drops entries on invalidate, invalidateAll, when disabled, and when another connection committed', async () => {
    const repo = fakeRows();
    for (const id of ['RE1', 'RE2']) repo.rows.set(id, recording(id));
    let external = false;
    const cache = new RecordingCache(100, () => external);
    cache.setEnabled(true);
    const reader = new CachedRecordingReader(cache, repo);
    const readBoth = async () => {
      await reader.findByIdUnscoped('RE1');
      await reader.findByIdUnscoped('RE2');
    };
    await readBoth();
    expect(cache.size).toBe(2);
    cache.invalidate(['RE1']);
    expect(cache.size).toBe(1);
    cache.invalidateAll();
    expect(cache.size).toBe(0);
    await readBoth();
    external = true;
    expect(cache.get('RE1')).toBeUndefined();
    external = false;
    await readBoth();
    cache.setEnabled(false);
    expect(cache.get('RE1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const repo = fakeRows();
    for (const id of ['RE1', 'RE2', 'RE3']) repo.rows.set(id, recording(id));
    const cache = new RecordingCache(2);
    cache.setEnabled(true);
    const reader = new CachedRecordingReader(cache, repo);
    await reader.findByIdUnscoped('RE1');
    await reader.findByIdUnscoped('RE2');
    await reader.findByIdUnscoped('RE1'); // RE1 is now the most recent
    await reader.findByIdUnscoped('RE3');
    expect(cache.get('RE1')).toBeDefined();
    expect(cache.get('RE2')).toBeUndefined();
    expect(cache.get('RE3')).toBeDefined();
  });

  it('hands out frozen recordings: a caller cannot change what the next one reads', async () => {
    const repo = fakeRows();
    repo.rows.set('RE1', recording('RE1'));
    const cache = new RecordingCache();
    cache.setEnabled(true);
    const reader = new CachedRecordingReader(cache, repo);
    await reader.findByIdUnscoped('RE1');
    const hit = (await reader.findByIdUnscoped('RE1'))!;
    expect(() => ((hit as { status: string }).status = 'failed')).toThrow(TypeError);
    expect(() => (hit.tags as string[]).push('x')).toThrow(TypeError);
  });
});

describe('changesRecordings', () => {
  it('spots writes to recordings and transcripts, quoted or not, and nothing else', () => {
    expect(changesRecordings('update "recordings" set "status" = ?')).toBe(true);
    expect(changesRecordings('delete from "recordings" where "id" = ? returning *')).toBe(true);
    expect(changesRecordings('insert into "transcripts" ("id") values (?)')).toBe(true);
    expect(changesRecordings('UPDATE recordings SET held = 1')).toBe(true);
    expect(changesRecordings('with x as (select 1) update recordings set held = 0')).toBe(true);
    expect(changesRecordings('select * from "recordings" where "id" = ?')).toBe(false);
    expect(changesRecordings('insert into "recordings_fts" (rowid) values (?)')).toBe(false);
    expect(changesRecordings('update "audit_chain_head" set "last_seq" = ?')).toBe(false);
  });
});
