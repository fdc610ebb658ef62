/**
 * The at-rest format of encrypted media ("AES-256-GCM-chunked"): pure functions and stream
 * transforms, no I/O and no key management.
 *
 * The plaintext is cut into chunks of `chunkSize` bytes (64 KiB by default; the last chunk
 * may be shorter, and an empty object is one empty chunk). Each chunk is sealed on its own
 * with AES-256-GCM under the object's data key:
 *
 *   nonce(i) = noncePrefix (8 random bytes, per object) || i as 4-byte big-endian
 *   aad(i)   = i as 4-byte big-endian || 1 byte: 1 for the last chunk, else 0
 *   stored   = ciphertext(chunk i) || 16-byte tag, for i = 0, 1, ... back to back
 *
 * There is no header in the object (the per-object parameters live in the database), so
 * plaintext offsets map to ciphertext offsets arithmetically and a byte range is served by
 * reading and authenticating only the chunks it covers. The index in the nonce and AAD
 * detects reordered chunks; the last-chunk flag detects truncation at a chunk boundary.
 * A chunk's plaintext is released only after its tag verified, so altered bytes are never
 * returned.
 */
import { createCipheriv, createDecipheriv, createHash, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** The name of this format, as recorded in envelopes and shown to customers. */
export const CHUNKED_GCM = 'AES-256-GCM-chunked';
/** Plaintext bytes per chunk unless an envelope says otherwise. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** GCM tag after each chunk, bytes. */
export const TAG_BYTES = 16;
/** Random per-object part of each chunk's 12-byte nonce, bytes. */
export const NONCE_PREFIX_BYTES = 8;
/** AES-256 data key, bytes. */
export const DATA_KEY_BYTES = 32;

/** What it takes to seal or open one object's chunks. */
export interface ChunkedGcmParams {
  dataKey: Buffer;
  noncePrefix: Buffer;
  /** Plaintext bytes per chunk. */
  chunkSize: number;
}

/** A chunk failed authentication: the stored bytes were altered, reordered or truncated. */
export class CiphertextAuthError extends Error {
  constructor(
    readonly chunk: number,
    reason: string,
  ) {
    super(`encrypted media failed authentication at chunk ${chunk}: ${reason}`);
  }
}

/** Chunks in an object of `plaintextSize` bytes (at least one: an empty object is one empty chunk). */
export function chunkCount(plaintextSize: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / chunkSize));
}

/** Stored size of an object of `plaintextSize` bytes. */
export function ciphertextSize(plaintextSize: number, chunkSize: number): number {
  return plaintextSize + TAG_BYTES * chunkCount(plaintextSize, chunkSize);
}

/** The 12-byte GCM nonce of chunk `index`. */
export function chunkNonce(noncePrefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  noncePrefix.copy(nonce, 0, 0, NONCE_PREFIX_BYTES);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  return nonce;
}

/** The additional authenticated data of chunk `index`. */
export function chunkAad(index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(5);
  aad.writeUInt32BE(index, 0);
  aad[4] = last ? 1 : 0;
  return aad;
}

/** Which stored bytes a plaintext read needs, and what to keep of their plaintext. */
export interface ReadPlan {
  firstChunk: number;
  lastChunk: number;
  /** Inclusive ciphertext byte range to read. */
  cipherStart: number;
  cipherEnd: number;
  /** Plaintext bytes to drop from the start of the first chunk. */
  skip: number;
  /** Plaintext bytes to return. */
  length: number;
}

/**
 * Maps an inclusive plaintext range (the whole object when absent) to the chunks covering it.
 * The end is clamped to the object; a start past the end is a RangeError.
 */
export function planRead(plaintextSize: number, chunkSize: number, range?: { start: number; end: number }): ReadPlan {
  const total = chunkCount(plaintextSize, chunkSize);
  const stride = chunkSize + TAG_BYTES;
  const cipherTotal = ciphertextSize(plaintextSize, chunkSize);
  if (!range) return { firstChunk: 0, lastChunk: total - 1, cipherStart: 0, cipherEnd: cipherTotal - 1, skip: 0, length: plaintextSize };
  const end = Math.min(range.end, plaintextSize - 1);
  if (!(range.start >= 0) || range.start > end) throw new RangeError(`range ${range.start}-${range.end} is outside a ${plaintextSize}-byte object`);
  const firstChunk = Math.floor(range.start / chunkSize);
  const lastChunk = Math.floor(end / chunkSize);
  return {
    firstChunk,
    lastChunk,
    cipherStart: firstChunk * stride,
    cipherEnd: Math.min((lastChunk + 1) * stride, cipherTotal) - 1,
    skip: range.start - firstChunk * chunkSize,
    length: end - range.start + 1,
  };
}

/** Seals one chunk; returns ciphertext and tag (stored one after the other). */
export function encryptChunk(params: ChunkedGcmParams, index: number, last: boolean, plaintext: Buffer): [Buffer, Buffer] {
  const cipher = createCipheriv('aes-256-gcm', params.dataKey, chunkNonce(params.noncePrefix, index));
  cipher.setAAD(chunkAad(index, last));
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/** Opens one stored chunk (ciphertext || tag); throws CiphertextAuthError when it does not authenticate. */
export function decryptChunk(params: ChunkedGcmParams, index: number, last: boolean, stored: Buffer): Buffer {
  if (stored.length < TAG_BYTES) throw new CiphertextAuthError(index, 'chunk shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', params.dataKey, chunkNonce(params.noncePrefix, index));
  decipher.setAAD(chunkAad(index, last));
  decipher.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
  const body = decipher.update(stored.subarray(0, stored.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    throw new CiphertextAuthError(index, 'tag mismatch');
  }
  return body;
}

/**
 * Encrypts a plaintext stream into the chunked format. Holds at most one chunk: a full chunk
 * is sealed once more input shows it is not the last one (the flag is in its AAD).
 * `plaintextBytes` and `plaintextSha256()` describe what went through.
 */
export class ChunkEncryptor extends Transform {
  plaintextBytes = 0;
  private index = 0;
  private filled = 0;
  private readonly pending: Buffer;
  private readonly hash = createHash('sha256');

  constructor(private readonly params: ChunkedGcmParams) {
    super();
    this.pending = Buffer.allocUnsafe(params.chunkSize);
  }

  /** SHA-256 of the plaintext, hex; valid once the stream has ended. */
  plaintextSha256(): string {
    return this.hash.copy().digest('hex');
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(data);
    this.plaintextBytes += data.length;
    let at = 0;
    while (at < data.length) {
      // A full chunk followed by more input is not the last one.
      if (this.filled === this.params.chunkSize) this.seal(false);
      const n = Math.min(this.params.chunkSize - this.filled, data.length - at);
      data.copy(this.pending, this.filled, at, at + n);
      this.filled += n;
      at += n;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.seal(true);
    done();
  }

  private seal(last: boolean): void {
    const [body, tag] = encryptChunk(this.params, this.index, last, this.pending.subarray(0, this.filled));
    this.push(body);
    this.push(tag);
    this.index++;
    this.filled = 0;
  }
}

/** Where in an object a decrypting stream starts, and what it returns. */
export interface DecryptWindow {
  /** Plaintext size of the whole object (decides the chunk count and the last chunk). */
  plaintextSize: number;
  /** Chunk the input starts with. */
  firstChunk: number;
  /** Plaintext bytes to drop from the first chunk. */
  skip: number;
  /** Plaintext bytes to return. */
  length: number;
}

/**
 * Decrypts stored chunks starting at `window.firstChunk`, input split anywhere. Each
 * chunk's plaintext is held until its tag verified, then released (trimmed to the window);
 * a bad tag, missing bytes or trailing bytes end the stream with CiphertextAuthError.
 */
export class ChunkDecryptor extends Transform {
  private readonly totalChunks: number;
  private readonly plaintextSize: number;
  /** The last chunk the window needs. */
  private readonly lastChunk: number;
  private index: number;
  /** Ciphertext body bytes of the current chunk still to come; -1 between chunks. */
  private bodyLeft = -1;
  private readonly tag = Buffer.alloc(TAG_BYTES);
  private tagHave = 0;
  private decipher: DecipherGCM | null = null;
  private held: Buffer[] = [];
  private skipLeft: number;
  private lengthLeft: number;

  constructor(
    private readonly params: ChunkedGcmParams,
    window: DecryptWindow,
  ) {
    super();
    this.totalChunks = chunkCount(window.plaintextSize, params.chunkSize);
    this.plaintextSize = window.plaintextSize;
    this.index = window.firstChunk;
    this.lastChunk = window.length === 0 ? window.firstChunk : Math.floor((window.firstChunk * params.chunkSize + window.skip + window.length - 1) / params.chunkSize);
    this.skipLeft = window.skip;
    this.lengthLeft = window.length;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      let at = 0;
      while (at < data.length) {
        if (this.bodyLeft < 0) this.startChunk();
        if (this.bodyLeft > 0) {
          const n = Math.min(this.bodyLeft, data.length - at);
          this.held.push(this.decipher!.update(data.subarray(at, at + n)));
          this.bodyLeft -= n;
          at += n;
          continue;
        }
        const n = Math.min(TAG_BYTES - this.tagHave, data.length - at);
        data.copy(this.tag, this.tagHave, at, at + n);
        this.tagHave += n;
        at += n;
        if (this.tagHave === TAG_BYTES) this.finishChunk();
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.bodyLeft >= 0 || this.index <= this.lastChunk) return done(new CiphertextAuthError(this.index, 'stored object is truncated'));
    done();
  }

  private startChunk(): void {
    if (this.index > this.lastChunk) throw new CiphertextAuthError(this.index, 'unexpected bytes after the last chunk');
    const last = this.index === this.totalChunks - 1;
    this.decipher = createDecipheriv('aes-256-gcm', this.params.dataKey, chunkNonce(this.params.noncePrefix, this.index));
    this.decipher.setAAD(chunkAad(this.index, last));
    this.bodyLeft = last ? this.plaintextSize - this.index * this.params.chunkSize : this.params.chunkSize;
    this.tagHave = 0;
  }

  private finishChunk(): void {
    this.decipher!.setAuthTag(this.tag);
    try {
      const tail = this.decipher!.final();
      if (tail.length) this.held.push(tail);
    } catch {
      this.held = [];
      throw new CiphertextAuthError(this.index, 'tag mismatch');
    }
    // Authenticated: release what the window wants of this chunk.
    for (const piece of this.held) {
      let part = piece;
      if (this.skipLeft > 0) {
        const drop = Math.min(this.skipLeft, part.length);
        this.skipLeft -= drop;
        part = part.subarray(drop);
      }
      if (part.length > this.lengthLeft) part = part.subarray(0, this.lengthLeft);
      if (part.length) {
        this.lengthLeft -= part.length;
        this.push(part);
      }
    }
    this.held = [];
    this.decipher = null;
    this.bodyLeft = -1;
    this.index++;
  }
}
