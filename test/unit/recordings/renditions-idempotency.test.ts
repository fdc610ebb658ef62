import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/storage/db/database.js';
import { migrateToLatest } from '../../../src/storage/db/migrator.js';
import { KyselyRecordingRepository } from '../../../src/storage/db/recordings.repo.js';
import { LocalDiskBlobStore } from '../../../src/storage/blob/local-disk.js';
import { RenditionsService } from '../../../src/recordings/renditions.service.js';
import { createLogger } from '../../../src/logger.js';
import { systemClock } from '../../../src/clock.js';
import { wavHeaderFixed } from '../../../src/media/wav.js';
import type { RecordingEventType } from '../../../src/recordings/recording-events.js';
import { NEW_RECORDING_STORAGE } from '../../../src/recordings/recording.js';

describe('RenditionsService is idempotent', () => {
  let handle: DatabaseHandle;
  let dir: string;
  beforeAll(async () => {
    handle = openDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    await handle.db.insertInto('accounts').values({ id: 'AC1', name: 'a', created_at: '' }).execute();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'renditions-'));
  });
  afterAll(async () => {
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two workers converting the same recording at once store one MP3 and announce completion once', async () => {
    const repo = new KyselyRecordingRepository(handle);
    const blobs = new LocalDiskBlobStore(dir);
    const pcm = Buffer.alloc(8000 * 2 * 2 * 3);
    for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(Math.round(5000 * Math.sin(i / 11)), i);
    const key = 'recordings/AC1/RE1.wav';
    const stored = await blobs.put(key, Buffer.concat([wavHeaderFixed({ sampleRate: 8000, channels: 2, dataBytes: pcm.length }), pcm]));
    const now = new Date();
    await repo.insert({
      id: 'RE1', accountId: 'AC1', callId: 'CA1', status: 'in-progress', source: 'upload', channels: 2, sampleRate: 8000, durationMs: 3000,
      errorCode: null, errorMessage: null, dateCreated: now, dateUpdated: now, media: { wav: { key, bytes: stored.size, sha256: stored.sha256 } }, details: {}, ...NEW_RECORDING_STORAGE,
    });
    const published: RecordingEventType[] = [];
    const deps = { repo, blobs, events: { publish: async (type: RecordingEventType) => void published.push(type) }, clock: systemClock, log: createLogger('silent') };
    const workerA = new RenditionsService(deps);
    const workerB = new RenditionsService(deps);
    await Promise.all([workerA.complete('RE1'), workerB.complete('RE1'), workerA.complete('RE1')]);
    await workerB.complete('RE1');
    expect(published).toEqual(['recording.completed']);
    const files: string[] = [];
    for await (const item of blobs.list('recordings/AC1/')) files.push(item.key);
    expect(files.sort()).toEqual(['recordings/AC1/RE1.mp3', 'recordings/AC1/RE1.wav']);
    const rec = await repo.findByIdUnscoped('RE1');
    expect(rec!.status).toBe('completed');
    expect(rec!.media.mp3!.bytes).toBe(fs.statSync(path.join(dir, 'recordings/AC1/RE1.mp3')).size);
  });
});
