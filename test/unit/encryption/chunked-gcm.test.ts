import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ChunkDecryptor,
  ChunkEncryptor,
  CiphertextAuthError,
  PositionalDecryptor,
  TAG_BYTES,
  ciphertextSize,
  planRead,
  type ChunkedGcmParams,
} from '../../../src/compliance/encryption/chunked-gcm.js';
import { readAll } from './fakes.js';

function params(chunkSize: number): ChunkedGcmParams {
  return { dataKey: randomBytes(32), noncePrefix: randomBytes(8), chunkSize };
}

/** Splits a buffer into pieces of pseudo-random sizes (1 to max bytes). */
function pieces(bytes: Buffer, max: number, seed = 7): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let at = 0; at < bytes.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = 1 + (x % max);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function encrypt(p: ChunkedGcmParams, plaintext: Buffer, maxPiece = 5000): Promise<{ stored: Buffer; encryptor: ChunkEncryptor }> {
  const encryptor = new ChunkEncryptor(p);
  const stored = await readAll(Readable.from(pieces(plaintext, maxPiece)).pipe(encryptor));
  return { stored, encryptor };
}

/** Decrypts a plaintext range the way the store does: read the covering chunks only. */
async function decryptRange(p: ChunkedGcmParams, stored: Buffer, plaintextSize: number, range?: { start: number; end: number }, maxPiece = 3000): Promise<Buffer> {
  const plan = planRead(plaintextSize, p.chunkSize, range);
  const input = stored.subarray(plan.cipherStart, plan.cipherEnd + 1);
  const decryptor = new ChunkDecryptor(p, { plaintextSize, firstChunk: plan.firstChunk, skip: plan.skip, length: plan.length });
  return readAll(Readable.from(pieces(input, maxPiece, 3)).pipe(decryptor));
}

/** Decrypts a plaintext range by positional reads (local disk's path), in odd-sized reads. */
async function decryptByPosition(p: ChunkedGcmParams, stored: Buffer, plaintextSize: number, range?: { start: number; end: number }): Promise<Buffer> {
  const plan = planRead(plaintextSize, p.chunkSize, range);
  let closed = 0;
  const source = {
    read: async (buffer: Buffer, offset: number, length: number, position: number) => stored.copy(buffer, offset, position, position + Math.min(length, 4321)),
    close: async () => void closed++,
  };
  const out = await readAll(new PositionalDecryptor(source, p, { plaintextSize, firstChunk: plan.firstChunk, skip: plan.skip, length: plan.length }));
  expect(closed).toBe(1);
  return out;
}

describe('chunked AES-256-GCM format', () => {
  it('round-trips objects of every size class around the chunk size, whatever the input split', async () => {
    const C = 1024;
    for (const size of [0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 17]) {
      const p = params(C);
      const plaintext = randomBytes(size);
      const { stored, encryptor } = await encrypt(p, plaintext, 700);
      expect(stored.length).toBe(ciphertextSize(size, C));
      expect(stored.length).toBe(size + TAG_BYTES * Math.max(1, Math.ceil(size / C)));
      expect(encryptor.plaintextBytes).toBe(size);
      expect(encryptor.plaintextSha256()).toMatch(/^[0-9a-f]{64}$/);
      expect((await decryptRange(p, stored, size)).equals(plaintext)).toBe(true);
      // One byte at a time in, too.
      expect((await decryptRange(p, stored, size, undefined, 1)).equals(plaintext)).toBe(true);
      expect((await decryptByPosition(p, stored, size)).equals(plaintext)).toBe(true);
    }
  });

  it('stores no plaintext: ciphertext differs everywhere from the input and between objects', async () => {
    const plaintext = Buffer.alloc(64 * 1024 * 3, 0x41);
    const a = await encrypt(params(64 * 1024), plaintext);
    const b = await encrypt(params(64 * 1024), plaintext);
    expect(a.stored.includes(Buffer.alloc(64, 0x41))).toBe(false);
    expect(a.stored.subarray(0, 1000).equals(b.stored.subarray(0, 1000))).toBe(false);
  });

  it('serves ranges at, just before and just after chunk boundaries, and across several chunks, reading only their chunks', async () => {
    const C = 64 * 1024;
    const size = 5 * C + 1234;
    const p = params(C);
    const plaintext = randomBytes(size);
    const { stored } = await encrypt(p, plaintext, 50_000);
    const ranges: Array<[number, number]> = [
      [0, 0], [0, C - 1], [C - 1, C - 1], [C, C], [C - 1, C], [C + 1, 2 * C], [C - 2, C + 1],
      [2 * C - 1, 4 * C + 1], [3 * C, 3 * C + 99], [size - 1, size - 1], [size - 1235, size - 1], [5 * C, size - 1], [0, size - 1], [100, size + 500],
    ];
    for (const [start, end] of ranges) {
      const want = plaintext.subarray(start, Math.min(end, size - 1) + 1);
      const got = await decryptRange(p, stored, size, { start, end });
      expect(got.equals(want), `range ${start}-${end}`).toBe(true);
      expect((await decryptByPosition(p, stored, size, { start, end })).equals(want), `positional range ${start}-${end}`).toBe(true);
      const plan = planRead(size, C, { start, end });
      expect(plan.firstChunk).toBe(Math.floor(start / C));
      expect(plan.cipherEnd - plan.cipherStart + 1).toBeLessThanOrEqual((plan.lastChunk - plan.firstChunk + 1) * (C + TAG_BYTES));
    }
    expect(() => planRead(size, C, { start: size, end: size + 10 })).toThrow(RangeError);
  });

  it('detects a single flipped byte anywhere and releases nothing of the bad chunk', async () => {
    const C = 1024;
    const size = 4 * C + 10;
    const p = params(C);
    const plaintext = randomBytes(size);
    const { stored } = await encrypt(p, plaintext);
    for (const at of [0, 5, C - 1, C, C + TAG_BYTES - 1, C + TAG_BYTES, 2 * (C + TAG_BYTES) + 500, stored.length - 1]) {
      const bad = Buffer.from(stored);
      bad[at] ^= 0x01;
      const badChunk = Math.floor(at / (C + TAG_BYTES));
      const decryptor = new ChunkDecryptor(p, { plaintextSize: size, firstChunk: 0, skip: 0, length: size });
      const received: Buffer[] = [];
      decryptor.on('data', (d: Buffer) => received.push(d));
      const error = await new Promise<unknown>((resolve) => {
        decryptor.on('error', resolve);
        decryptor.on('end', () => resolve(null));
        Readable.from(pieces(bad, 333)).pipe(decryptor);
      });
      expect(error, `flip at ${at}`).toBeInstanceOf(CiphertextAuthError);
      expect((error as CiphertextAuthError).chunk).toBe(badChunk);
      // Only the good chunks before the bad one came out, unaltered.
      const out = Buffer.concat(received);
      expect(out.length).toBe(badChunk * C);
      expect(out.equals(plaintext.subarray(0, out.length))).toBe(true);
    }
  });

  it('by position too: a flipped byte stops the read at its chunk, a truncated object fails', async () => {
    const C = 1024;
    const size = 4 * C;
    const p = params(C);
    const plaintext = randomBytes(size);
    const { stored } = await encrypt(p, plaintext);
    const bad = Buffer.from(stored);
    bad[2 * (C + TAG_BYTES) + 7] ^= 0x10;
    const received: Buffer[] = [];
    const stream = new PositionalDecryptor({ read: async (b, o, l, pos) => bad.copy(b, o, pos, pos + l), close: async () => undefined }, p, { plaintextSize: size, firstChunk: 0, skip: 0, length: size });
    stream.on('data', (d: Buffer) => received.push(d));
    const error = await new Promise((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve(null));
    });
    expect(error).toBeInstanceOf(CiphertextAuthError);
    expect(Buffer.concat(received).equals(plaintext.subarray(0, 2 * C))).toBe(true);
    await expect(decryptByPosition(p, stored.subarray(0, stored.length - 3), size)).rejects.toThrow(/truncated/);
  });

  it('detects reordered chunks, a dropped last chunk, a truncated chunk and trailing bytes', async () => {
    const C = 512;
    const size = 3 * C;
    const p = params(C);
    const { stored } = await encrypt(p, randomBytes(size));
    const S = C + TAG_BYTES;
    const swapped = Buffer.concat([stored.subarray(S, 2 * S), stored.subarray(0, S), stored.subarray(2 * S)]);
    const run = (input: Buffer, plaintextSize = size) =>
      readAll(Readable.from([input]).pipe(new ChunkDecryptor(p, { plaintextSize, firstChunk: 0, skip: 0, length: plaintextSize })));
    await expect(run(swapped)).rejects.toBeInstanceOf(CiphertextAuthError);
    // Dropping the last chunk and claiming the object was two chunks long: chunk 1 was not sealed as the last one.
    await expect(run(stored.subarray(0, 2 * S), 2 * C)).rejects.toBeInstanceOf(CiphertextAuthError);
    await expect(run(stored.subarray(0, stored.length - 5))).rejects.toThrow(/truncated/);
    await expect(run(Buffer.concat([stored, Buffer.from('x')]))).rejects.toThrow(/after the last chunk/);
  });

  it('a chunk under another nonce prefix or key does not authenticate', async () => {
    const p = params(256);
    const { stored } = await encrypt(p, randomBytes(600));
    const other = { ...p, noncePrefix: randomBytes(8) };
    await expect(readAll(Readable.from([stored]).pipe(new ChunkDecryptor(other, { plaintextSize: 600, firstChunk: 0, skip: 0, length: 600 })))).rejects.toBeInstanceOf(
      CiphertextAuthError,
    );
  });
});
