import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { WrittenEntry } from '../../../src/compliance/export/archive-writer.js';
import { ZipWriter } from '../../../src/compliance/export/zip-writer.js';
import { crc32, crc32Portable } from '../../../src/compliance/export/crc32.js';

const hasUnzip = spawnSync('unzip', ['-v']).status === 0;
if (!hasUnzip) {
  if (process.env.CI === 'true') throw new Error('CI=true but `unzip` is missing: the zip writer suite must run in CI');
  console.warn('[telefonie tests] `unzip` not found: skipping the zip writer checks against Info-ZIP');
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-zip-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const MTIME = new Date('2026-03-04T05:06:08Z');

async function zipOf(files: Array<{ path: string; content: Buffer }>, opts: { forceZip64?: boolean } = {}): Promise<Buffer> {
  const writer = new ZipWriter(opts);
  const chunks: Buffer[] = [];
  const written: WrittenEntry[] = [];
  for (const f of files) {
    const gen = writer.file({ path: f.path, size: f.content.length, mtime: MTIME }, [f.content]);
    for (;;) {
      const step = await gen.next();
      if (step.done) {
        written.push(step.value);
        break;
      }
      chunks.push(step.value);
    }
  }
  async function* entries() {
    yield* written;
  }
  for await (const c of writer.end(entries())) chunks.push(c);
  const zip = Buffer.concat(chunks);
  expect(writer.bytesWritten).toBe(zip.length);
  return zip;
}

const files = [
  { path: 'EX1/recordings/RE1/RE1.wav', content: Buffer.alloc(70_000, 3) },
  { path: 'EX1/recordings/RE1/metadata.json', content: Buffer.from('{"id":"RE1"}\n') },
  { path: 'EX1/empty.txt', content: Buffer.alloc(0) },
  { path: 'EX1/ünïcødé.txt', content: Buffer.from('utf-8 name') },
];

describe('CRC-32', () => {
  it('the table implementation agrees with zlib, across chunk boundaries', () => {
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff));
    const whole = crc32Portable(data, 0);
    expect(crc32Portable(data.subarray(5000), crc32Portable(data.subarray(0, 5000), 0))).toBe(whole);
    expect(crc32(data, 0)).toBe(whole);
    expect(crc32Portable(Buffer.from('123456789'), 0)).toBe(0xcbf43926);
    const native = (zlib as unknown as { crc32?: (d: Buffer) => number }).crc32;
    if (native) expect(native(data) >>> 0).toBe(whole);
  });
});

describe.skipIf(!hasUnzip)('the zip writer, read back by Info-ZIP unzip', () => {
  for (const forceZip64 of [false, true]) {
    it(`${forceZip64 ? 'with ZIP64 records: ' : ''}every file tests ok (CRC) and extracts byte for byte`, async () => {
      const file = path.join(dir, `z${forceZip64 ? '64' : ''}.zip`);
      fs.writeFileSync(file, await zipOf(files, { forceZip64 }));
      const test = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
      expect(test).toContain('No errors detected');
      const listing = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
      expect(listing).toEqual(files.map((f) => f.path));
      const out = fs.mkdtempSync(path.join(dir, 'x-'));
      execFileSync('unzip', ['-q', file, '-d', out]);
      for (const f of files) expect(fs.readFileSync(path.join(out, f.path)).equals(f.content)).toBe(true);
      if (forceZip64) expect(execFileSync('zipinfo', ['-v', file], { encoding: 'utf8' })).toContain('PKWARE 64-bit sizes');
    });
  }

  it('an empty archive is valid too', async () => {
    const file = path.join(dir, 'empty.zip');
    fs.writeFileSync(file, await zipOf([]));
    const result = spawnSync('unzip', ['-l', file], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toMatch(/zipfile is empty|0 files/);
  });
});
