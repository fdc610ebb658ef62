// A write error on the spool disk must fail that recording with a reason (the owner reads
// it at close) without crashing the process or stopping other recordings.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadSpool } from '../../../src/recorder/spool-to-wav.js';
import { LocalDiskBlobStore } from '../../../src/storage/blob/local-disk.js';
import { startFixture } from './fixtures/child-process.js';
import { sampleAt } from './fixtures/signal.js';
import { readChannel, tempDir } from './fixtures/spool-files.js';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('spool write errors', () => {
  it('fails only the recording whose files hit a real EFBIG, logs it, and keeps its spooled prefix usable', async () => {
    const root = tempDir('recorder-efbig-');
    const blobRoot = tempDir('recorder-efbig-blobs-');
    roots.push(root, blobRoot);
    // The kernel refuses to grow any file of this process past a few MB (512- or 1024-byte blocks, per shell).
    const child = startFixture('spool-disk-full-child.ts', [root], 'ulimit -f 4096');
    const exit = await child.exited;
    const events = child.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(exit, `child output: ${child.lines.join(' | ')}`).toEqual({ code: 0, signal: null });

    const logs = events.filter((e) => e.event === 'log');
    expect(logs).toEqual([{ event: 'log', msg: expect.stringMatching(/spool write failed/), recordingId: 'RE-big', code: 'EFBIG' }]);
    const done = events.find((e) => e.event === 'done')!;
    expect(done).toMatchObject({ bigState: 'failed', bigError: 'EFBIG', bigClose: expect.stringMatching(/RE-big spool failed: .*EFBIG/), smallState: 'closed' });
    expect((done.bigStats as { droppedInactive: number }).droppedInactive).toBeGreaterThan(0);
    expect(done.smallDuration).toBe(done.smallWritten);

    // What reached the disk before the error is a valid prefix and still finalizes.
    const bigDir = path.join(root, 'RE-big');
    const ch1 = readChannel(bigDir, 1);
    expect(ch1.length).toBeGreaterThan(16000);
    let mismatches = 0;
    for (let i = 0; i < ch1.length; i++) if (ch1[i] !== sampleAt(1, i)) mismatches++;
    expect(mismatches).toBe(0);
    const uploaded = await uploadSpool(bigDir, new LocalDiskBlobStore(blobRoot), 'recordings/AC1/RE-big.wav');
    expect(uploaded.durationSamples).toBe(Math.max(ch1.length, readChannel(bigDir, 2).length));
  });
});
