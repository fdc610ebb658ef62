import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyRecordingRepository } from '../../../src/storage/db/recordings.repo.js';
import { KyselyRetentionRepository } from '../../../src/storage/db/retention.repo.js';
import { NEW_RECORDING_STORAGE, type Recording } from '../../../src/recordings/recording.js';
import { openMigratedDatabase, repositoryDialects } from '../../helpers/backends.js';


function recording(i: number, at: Date, status: Recording['status'] = 'completed'): Recording {
  return {
    id: `RE${String(i).padStart(32, '0')}`, accountId: 'A', callId: `CA${i}`, status, source: 'upload', channels: 1,
    sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null, dateCreated: at, dateUpdated: at, media: {}, details: {}, ...NEW_RECORDING_STORAGE,
  };
}

// The sweep's keyset walk: every candidate exactly once, in (date_created, id) order, also
// across a run of recordings sharing one timestamp (a bulk import), where only the id orders them.
describe.each(repositoryDialects)('retention candidates on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let retention: KyselyRetentionRepository;
  const old = new Date(Date.UTC(2026, 0, 1));
  const cutoff = new Date(Date.UTC(2026, 5, 1));

  beforeAll(async () => {
    database = await openMigratedDatabase(dialect);
    const handle = database.handle;
    await handle.db.insertInto('accounts').values({ id: 'A', name: 'a', created_at: '' }).execute();
    const repo = new KyselyRecordingRepository(handle);
    // 0-2 older, 3-12 share one timestamp, 13 newer than the cutoff, 14 live: 13 candidates.
    for (let i = 0; i < 3; i++) await repo.insert(recording(i, new Date(old.getTime() - (3 - i) * 60_000)));
    for (let i = 3; i < 13; i++) await repo.insert(recording(i, old));
    await repo.insert(recording(13, new Date(Date.UTC(2026, 6, 1))));
    await repo.insert(recording(14, old, 'in-progress'));
    retention = new KyselyRetentionRepository(handle.db);
  });
  afterAll(async () => database.close());

  it('walks every due recording once, in order, in batches smaller than a run of equal timestamps', async () => {
    const seen: string[] = [];
    let after: { createdAt: string; id: string } | null = null;
    for (;;) {
      const batch: Recording[] = await retention.candidates('A', cutoff, after, 4);
      if (batch.length === 0) break;
      seen.push(...batch.map((r) => r.id));
      const last = batch[batch.length - 1];
      after = { createdAt: last.dateCreated.toISOString(), id: last.id };
    }
    expect(seen).toEqual([...Array(13).keys()].map((i) => recording(i, old).id));
  });
});
