import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveContentError, type ArchiveEntry, type WrittenEntry } from '../../../src/compliance/export/archive-writer.js';
import { paxRecord, splitUstarPath, TAR_BLOCK, tarFileHeader, TarWriter } from '../../../src/compliance/export/tar-writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-tar-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MTIME = new Date('2026-03-04T05:06:07Z');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes files through a TarWriter into one Buffer; returns it with the entries written. */
async function tarOf(files: Array<{ path: string; content: Buffer }>): Promise<{ tar: Buffer; written: WrittenEntry[] }> {
  const writer = new TarWriter();
  const chunks: Buffer[] = [];
  const written: WrittenEntry[] = [];
  for (const f of files) {
    const gen = writer.file({ path: f.path, size: f.content.length, mtime: MTIME }, [f.content.subarray(0, 7), f.content.subarray(7)]);
    for (;;) {
      const step = await gen.next();
      if (step.done) {
        written.push(step.value);
        break;
      }
      chunks.push(step.value);
    }
  }
  for await (const c of writer.end()) chunks.push(c);
  const tar = Buffer.concat(chunks);
  expect(writer.bytesWritten).toBe(tar.length);
  return { tar, written };
}

describe('the tar writer', () => {
  const longDir = 'EX0123456789abcdef0123456789abcdef/recordings/RE0123456789abcdef0123456789abcdef';
  const files = [
    { path: 'a.txt', content: Buffer.from('hello tar\n') },
    { path: 'empty.bin', content: Buffer.alloc(0) },
    { path: 'block.bin', content: Buffer.alloc(TAR_BLOCK, 7) },
    { path: 'block-plus-one.bin', content: Buffer.alloc(TAR_BLOCK + 1, 9) },
    { path: `${'n'.repeat(100)}`, content: Buffer.from('exactly 100 bytes of name') },
    { path: `${longDir}/RE0123456789abcdef0123456789abcdef.wav`, content: Buffer.from('needs the ustar prefix field') },
    { path: `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(120)}.json`, content: Buffer.from('needs a PAX path record') },
    { path: 'dir/naïve – ünïcødé.txt', content: Buffer.from('non-ASCII name through PAX') },
  ];

  it('writes archives GNU tar lists and extracts byte for byte, with sizes, names and mtimes', async () => {
    const { tar, written } = await tarOf(files);
    expect(tar.length % TAR_BLOCK).toBe(0);
    // The end: two zero blocks.
    expect(tar.subarray(tar.length - 2 * TAR_BLOCK).every((b) => b === 0)).toBe(true);
    const file = path.join(dir, 'one.tar');
    fs.writeFileSync(file, tar);
    const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(files.map((f) => f.path));
    const out = fs.mkdtempSync(path.join(dir, 'x-'));
    execFileSync('tar', ['-xf', file, '-C', out]);
    for (const f of files) {
      const extracted = fs.readFileSync(path.join(out, f.path));
      expect(extracted.equals(f.content)).toBe(true);
      expect(fs.statSync(path.join(out, f.path)).mtime.getTime()).toBe(MTIME.getTime());
    }
    expect(written.map((w) => [w.path, w.size, w.sha256])).toEqual(files.map((f) => [f.path, f.content.length, sha(f.content)]));
    // Offsets point at each file's first header block.
    for (const w of written) expect(w.offset % TAR_BLOCK).toBe(0);
    expect(written[1].offset).toBe(TAR_BLOCK + TAR_BLOCK);
  });

  it('checksums every header as tar readers expect (strict listing with verbose output)', async () => {
    const { tar } = await tarOf(files.slice(0, 4));
    const file = path.join(dir, 'verbose.tar');
    fs.writeFileSync(file, tar);
    const verbose = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(verbose).toContain('telefonie/telefonie');
    expect(verbose).toMatch(/\b513\b.*block-plus-one\.bin/);
  });

  it('splits long paths into prefix and name at a slash, and gives up when no split fits', () => {
    expect(splitUstarPath('short')).toEqual({ prefix: '', name: 'short' });
    const p = `${'a'.repeat(150)}/${'b'.repeat(90)}`;
    expect(splitUstarPath(p)).toEqual({ prefix: 'a'.repeat(150), name: 'b'.repeat(90) });
    expect(splitUstarPath(`${'a'.repeat(160)}/${'b'.repeat(90)}`)).toBeNull();
    expect(splitUstarPath(`a/${'b'.repeat(101)}`)).toBeNull();
  });

  it('makes PAX records whose length counts itself, across digit boundaries', () => {
    for (const valueLength of [1, 80, 89, 90, 91, 95, 96, 97, 98, 990, 995, 996, 997]) {
      const record = paxRecord('path', 'x'.repeat(valueLength));
      expect(Number(record.slice(0, record.indexOf(' ')))).toBe(Buffer.byteLength(record));
    }
  });

  it('announces files past 8 GiB with a PAX size record', () => {
    const size = 9 * 1024 ** 3;
    const header = tarFileHeader({ path: 'big.wav', size, mtime: MTIME });
    expect(header.length).toBe(3 * TAR_BLOCK);
    expect(String.fromCharCode(header[156])).toBe('x');
    expect(header.subarray(TAR_BLOCK, 2 * TAR_BLOCK).toString('utf8')).toContain(`size=${size}\n`);
    expect(header.subarray(2 * TAR_BLOCK + 345, 2 * TAR_BLOCK + 345 + 7).every((b) => b === 0)).toBe(true);
    expect(String.fromCharCode(header[2 * TAR_BLOCK + 156])).toBe('0');
  });

  it('refuses content shorter or longer than announced, and unsafe paths', async () => {
    const drain = async (entry: ArchiveEntry, content: Buffer[]) => {
      for await (const _ of new TarWriter().file(entry, content)) void _;
    };
    await expect(drain({ path: 'a', size: 5, mtime: MTIME }, [Buffer.from('abc')])).rejects.toBeInstanceOf(ArchiveContentError);
    await expect(drain({ path: 'a', size: 2, mtime: MTIME }, [Buffer.from('abc')])).rejects.toBeInstanceOf(ArchiveContentError);
    await expect(drain({ path: '../evil', size: 0, mtime: MTIME }, [])).rejects.toThrow(/unsafe/);
    await expect(drain({ path: '/etc/passwd', size: 0, mtime: MTIME }, [])).rejects.toThrow(/unsafe/);
  });

  it('streams: 256 MiB of content pass through with bounded memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 1);
    const count = 256;
    async function* content() {
      for (let i = 0; i < count; i++) yield chunk;
    }
    const writer = new TarWriter();
    const before = process.memoryUsage().rss;
    let peak = before;
    let bytes = 0;
    for await (const piece of writer.file({ path: 'big.bin', size: count * chunk.length, mtime: MTIME }, content())) {
      bytes += piece.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(bytes).toBe(TAR_BLOCK + count * chunk.length);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
