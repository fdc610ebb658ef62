import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertSafeKey, BlobNotFoundError, type BlobStat, type BlobStore, type ByteRange, type PutResult, type SignedUrlOptions } from './blob-store.js';

/** Parsed form of an `s3://` STORAGE_URL. */
export interface S3Location {
  bucket: string;
  prefix: string;
  client: S3ClientConfig;
  /** Storage class for new objects (e.g. GLACIER_IR for the archive tier). */
  storageClass?: string;
  /** With S3 Object Lock: keep new objects in compliance mode for this many days. */
  objectLockDays?: number;
}

/**
 * Parses `s3://[ACCESS_KEY:SECRET@]bucket[/prefix]?endpoint=URL&region=R&force_path_style=true`.
 * Without credentials in the URL the AWS SDK's default chain applies (AWS_ACCESS_KEY_ID, instance role...).
 */
export function parseS3Url(storageUrl: string): S3Location {
  const url = new URL(storageUrl);
  if (url.protocol !== 's3:') throw new Error(`not an s3:// URL: ${storageUrl}`);
  const bucket = url.hostname;
  if (!bucket) throw new Error('STORAGE_URL s3:// needs a bucket name: s3://bucket/prefix');
  const trimmed = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  const prefix = trimmed ? `${trimmed}/` : '';
  const params = url.searchParams;
  const client: S3ClientConfig = {
    region: params.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: ['1', 'true', 'yes'].includes((params.get('force_path_style') ?? '').toLowerCase()),
    // The default checksum mode adds CRC headers some S3-compatible servers reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const endpoint = params.get('endpoint');
  if (endpoint) client.endpoint = endpoint;
  if (url.username) {
    client.credentials = { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) };
  }
  const lockDays = params.get('object_lock_days');
  if (lockDays !== null && !/^\d+$/.test(lockDays)) throw new Error(`object_lock_days must be a whole number of days, got "${lockDays}"`);
  return { bucket, prefix, client, storageClass: params.get('storage_class') ?? undefined, objectLockDays: lockDays ? Number(lockDays) : undefined };
}

/** BlobStore on any S3-compatible bucket; large objects go up as multipart uploads. */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly s3: S3Client;

  constructor(private readonly location: S3Location) {
    this.s3 = new S3Client(location.client);
    this.description = `s3://${location.bucket}/${location.prefix}`;
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return this.location.prefix + key;
  }

  async put(key: string, body: Readable | Buffer, opts: { contentType?: string } = {}): Promise<PutResult> {
    const hash = createHash('sha256');
    let size = 0;
    const tee = new PassThrough();
    tee.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    source.on('error', (err) => tee.destroy(err));
    source.pipe(tee);
    // lib-storage switches to multipart above one part (8 MiB here) and aborts the upload on failure,
    // so a failed put leaves no object and no dangling parts.
    const upload = new Upload({
      client: this.s3,
      params: {
        Bucket: this.location.bucket,
        Key: this.objectKey(key),
        Body: tee,
        ContentType: opts.contentType,
        StorageClass: this.location.storageClass as PutObjectCommandInput['StorageClass'],
        ...(this.location.objectLockDays
          ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: new Date(Date.now() + this.location.objectLockDays * 86_400_000) }
          : {}),
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    });
    await upload.done();
    return { size, sha256: hash.digest('hex') };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
      return { size: out.ContentLength ?? 0, lastModified: out.LastModified };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
  }

  async deleteMany(keys: string[]): Promise<void> {
    // Unsafe keys are refused before any object goes.
    keys.forEach(assertSafeKey);
    // DeleteObjects takes at most 1,000 keys; it reports failures per key in a 200 answer.
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const out = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: chunk.map((key) => ({ Key: this.objectKey(key) })), Quiet: true } }),
      );
      const failed = out.Errors ?? [];
      if (failed.length) throw new Error(`${failed.length} object(s) could not be deleted; first: ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ''}`.trim());
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.location.prefix + prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key) yield { key: item.Key.slice(this.location.prefix.length), size: item.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async signedUrl(key: string, opts: SignedUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.location.bucket,
      Key: this.objectKey(key),
      ResponseContentType: opts.contentType,
      ResponseContentDisposition: opts.fileName ? `attachment; filename="${opts.fileName}"` : undefined,
    });
    return getSignedUrl(this.s3, command, { expiresIn: opts.ttlSeconds });
  }

  /** Releases the HTTP agent's sockets. */
  close(): void {
    this.s3.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
