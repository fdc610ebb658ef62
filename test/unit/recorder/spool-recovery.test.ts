import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../../src/recorder/recording-writer.js';
import { findSpooledRecordings, removeSpool, type SpooledRecording } from '../../../src/recorder/spool-recovery.js';
import { signal } from './fixtures/signal.js';
import { tempDir } from './fixtures/spool-files.js';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

async function collect(root: string): Promise<SpooledRecording[]> {
  const out: SpooledRecording[] = [];
  for await (const found of findSpooledRecordings(root)) out.push(found);
  return out;
}

describe('findSpooledRecordings', () => {
  it('reports live spools with their meta and orphans with meta null, in name order', async () => {
    const root = tempDir();
    roots.push(root);
    const live = await RecordingWriter.open({ root, recordingId: 'RE-live', accountId: 'AC1', sampleRate: 16000, sourceChannels: 2, outputChannels: 1, extra: { callId: 'CA1' } });
    live.write(1, 0, signal(1, 0, 320));
    await live.flush(); // not closed: as after a crash
    // A crash inside open(): the meta temp file was written but never renamed.
    fs.mkdirSync(path.join(root, 'RE-interrupted'));
    fs.writeFileSync(path.join(root, 'RE-interrupted', '.meta.json.tmp-0123456789ab'), '{"format":1,');
    // A damaged meta.json, and a stray file at the root that is not a spool.
    fs.mkdirSync(path.join(root, 'RE-corrupt'));
    fs.writeFileSync(path.join(root, 'RE-corrupt', 'meta.json'), '{"format":1,"recordingId":');
    fs.writeFileSync(path.join(root, 'notes.txt'), 'not a spool');

    const found = await collect(root);
    expect(found.map((f) => [path.basename(f.dir), f.meta?.recordingId ?? null])).toEqual([
      ['RE-corrupt', null],
      ['RE-interrupted', null],
      ['RE-live', 'RE-live'],
    ]);
    expect(found[2]).toMatchObject({ dir: live.dir, meta: { accountId: 'AC1', sampleRate: 16000, sourceChannels: 2, outputChannels: 1, extra: { callId: 'CA1' } } });
    expect(found[0].error).toBeInstanceOf(SyntaxError);
    expect((found[1].error as NodeJS.ErrnoException).code).toBe('ENOENT');
    await live.close();
  });

  it('finds nothing when the spool root does not exist yet', async () => {
    expect(await collect(path.join(tempDir(), 'never-created'))).toEqual([]);
  });

  it('rejects meta.json with invalid fields as an orphan', async () => {
    const root = tempDir();
    roots.push(root);
    fs.mkdirSync(path.join(root, 'RE1'));
    fs.writeFileSync(path.join(root, 'RE1', 'meta.json'), JSON.stringify({ format: 1, recordingId: 'RE1', accountId: 'AC1', sampleRate: 8000, sourceChannels: 3, outputChannels: 2, startedAt: new Date().toISOString(), extra: {} }));
    const [found] = await collect(root);
    expect(found.meta).toBeNull();
    expect(found.error?.message).toMatch(/sourceChannels/);
  });
});

describe('removeSpool', () => {
  it('deletes a spool directory with its files, and tolerates one already gone', async () => {
    const root = tempDir();
    roots.push(root);
    const w = await RecordingWriter.open({ root, recordingId: 'RE1', accountId: 'AC1', sampleRate: 8000, sourceChannels: 2, outputChannels: 2 });
    await w.close();
    await removeSpool(w.dir);
    expect(fs.readdirSync(root)).toEqual([]);
    await removeSpool(w.dir);
  });
});
