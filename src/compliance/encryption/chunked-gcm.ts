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
import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';

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
 * Opens the chunks of one object: one decipher call per chunk, the key as a KeyObject and
 * the nonce and AAD buffers reused (hot path: a 60-minute WAV is about 1,800 chunks).
 */
export class ChunkOpener {
  readonly totalChunks: number;
  private readonly key: KeyObject;
  private readonly nonce = Buffer.alloc(12);
  private readonly aad = Buffer.alloc(5);

  constructor(
    private readonly params: ChunkedGcmParams,
    private readonly plaintextSize: number,
  ) {
    this.totalChunks = chunkCount(plaintextSize, params.chunkSize);
    this.key = createSecretKey(params.dataKey);
    params.noncePrefix.copy(this.nonce, 0, 0, NONCE_PREFIX_BYTES);
  }

  /** Plaintext (= ciphertext body) bytes of chunk `index`. */
  bodyBytes(index: number): number {
    return index === this.totalChunks - 1 ? this.plaintextSize - index * this.params.chunkSize : this.params.chunkSize;
  }

  /** Decrypts and authenticates one chunk; throws CiphertextAuthError, releasing nothing, when it does not authenticate. */
  open(index: number, body: Buffer, tag: Buffer): Buffer {
    this.nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
    this.aad.writeUInt32BE(index, 0);
    this.aad[4] = index === this.totalChunks - 1 ? 1 : 0;
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonce);
    decipher.setAAD(this.aad);
    decipher.setAuthTag(tag);
    const plain = decipher.update(body);
    try {
      decipher.final();
    } catch {
      throw new CiphertextAuthError(index, 'tag mismatch');
    }
    return plain;
  }
}

/** Trims authenticated chunk plaintexts to a window (bytes to skip, then bytes to keep). */
class WindowTrim {
  private skipLeft: number;
  lengthLeft: number;
  /** The last chunk the window needs. */
  readonly lastChunk: number;

  constructor(window: DecryptWindow, chunkSize: number) {
    this.skipLeft = window.skip;
    this.lengthLeft = window.length;
    this.lastChunk = window.length === 0 ? window.firstChunk : Math.floor((window.firstChunk * chunkSize + window.skip + window.length - 1) / chunkSize);
  }

  /** The part of a chunk's plaintext the window keeps (possibly empty). */
  take(plain: Buffer): Buffer {
    let part = plain;
    if (this.skipLeft > 0) {
      part = part.subarray(this.skipLeft);
      this.skipLeft = 0;
    }
    if (part.length > this.lengthLeft) part = part.subarray(0, this.lengthLeft);
    this.lengthLeft -= part.length;
    return part;
  }
}

/**
 * Decrypts stored chunks arriving as a stream that starts at `window.firstChunk`, split
 * anywhere. Each chunk's plaintext is released only once its tag verified (trimmed to the
 * window); a bad tag, missing bytes or trailing bytes end the stream with CiphertextAuthError.
 */
export class ChunkDecryptor extends Transform {
  private readonly opener: ChunkOpener;
  private readonly trim: WindowTrim;
  private index: number;
  /** Ciphertext body bytes of the current chunk; -1 between chunks. */
  private bodyLen = -1;
  /** Body bytes gathered so far, when the body arrives split across input pieces. */
  private bodyHave = 0;
  private readonly body: Buffer;
  /** The current chunk's body when one input piece held all of it (no copy). */
  private direct: Buffer | null = null;
  private readonly tag = Buffer.alloc(TAG_BYTES);
  private tagHave = 0;

  constructor(params: ChunkedGcmParams, window: DecryptWindow) {
    super();
    this.opener = new ChunkOpener(params, window.plaintextSize);
    this.trim = new WindowTrim(window, params.chunkSize);
    this.index = window.firstChunk;
    this.body = Buffer.allocUnsafe(params.chunkSize);
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      let at = 0;
      while (at < data.length) {
        if (this.bodyLen < 0) this.startChunk();
        if (this.bodyHave < this.bodyLen) {
          // The body is used in place when one piece holds all of it, else gathered into a
          // reused buffer: one decipher call and one output buffer per chunk either way.
          const need = this.bodyLen - this.bodyHave;
          if (this.bodyHave === 0 && data.length - at >= need) {
            this.direct = data.subarray(at, at + need);
          } else {
            data.copy(this.body, this.bodyHave, at, at + Math.min(need, data.length - at));
          }
          const n = Math.min(need, data.length - at);
          this.bodyHave += n;
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
    if (this.bodyLen >= 0 || this.index <= this.trim.lastChunk) return done(new CiphertextAuthError(this.index, 'stored object is truncated'));
    done();
  }

  private startChunk(): void {
    if (this.index > this.trim.lastChunk) throw new CiphertextAuthError(this.index, 'unexpected bytes after the last chunk');
    this.bodyLen = this.opener.bodyBytes(this.index);
    this.bodyHave = 0;
    this.tagHave = 0;
    this.direct = null;
  }

  private finishChunk(): void {
    const body = this.direct ?? this.body.subarray(0, this.bodyLen);
    const part = this.trim.take(this.opener.open(this.index, body, this.tag));
    if (part.length) this.push(part);
    this.direct = null;
    this.bodyLen = -1;
    this.index++;
  }
}

/** Positional reads of stored bytes (a BlobReader). */
export interface PositionalSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Reads and decrypts the chunks of a window by position, one whole chunk at a time into one
 * reused buffer: no per-read allocation and no reassembly. Same guarantees as ChunkDecryptor
 * (a chunk is released only once authenticated). Closes the source when done or destroyed.
 */
export class PositionalDecryptor extends Readable {
  private readonly opener: ChunkOpener;
  private readonly trim: WindowTrim;
  private readonly buffer: Buffer;
  private index: number;

  constructor(
    private readonly source: PositionalSource,
    private readonly params: ChunkedGcmParams,
    window: DecryptWindow,
  ) {
    super();
    this.opener = new ChunkOpener(params, window.plaintextSize);
    this.trim = new WindowTrim(window, params.chunkSize);
    this.index = window.firstChunk;
    this.buffer = Buffer.allocUnsafe(params.chunkSize + TAG_BYTES);
  }

  override async _read(): Promise<void> {
    try {
      for (;;) {
        if (this.index > this.trim.lastChunk) {
          this.push(null);
          return;
        }
        const i = this.index++;
        const len = this.opener.bodyBytes(i) + TAG_BYTES;
        const position = i * (this.params.chunkSize + TAG_BYTES);
        let got = 0;
        while (got < len) {
          const n = await this.source.read(this.buffer, got, len - got, position + got);
          if (n === 0) throw new CiphertextAuthError(i, 'stored object is truncated');
          got += n;
        }
        const part = this.trim.take(this.opener.open(i, this.buffer.subarray(0, len - TAG_BYTES), this.buffer.subarray(len - TAG_BYTES, len)));
        // An empty part (an empty object) pushes nothing: go on to the end.
        if (part.length) {
          this.push(part);
          return;
        }
      }
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.source.close().then(
      () => done(err),
      () => done(err),
    );
  }
}
