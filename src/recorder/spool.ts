/**
 * On-disk spool of live recordings, the part of a recording that must survive `kill -9`.
 *
 * Layout, one directory per recording under a spool root:
 *
 *   <root>/<recordingId>/meta.json   written once, atomically (temp file + fsync + rename),
 *                                    BEFORE any audio file exists, so a directory with audio
 *                                    always has its meta; a directory without meta.json is
 *                                    an orphan from a crash during open and can be deleted.
 *   <root>/<recordingId>/ch1.pcm     source channel 1 (e.g. caller), raw PCM 16-bit signed
 *   <root>/<recordingId>/ch2.pcm     little-endian mono, no header; only when sourceChannels = 2.
 *   <root>/<recordingId>/.meta.json.tmp-<hex>  only while meta.json is being written; ignored.
 *
 * Channel files are positional: byte offset 2·n holds the sample at position n (samples
 * from the recording start, at meta.sampleRate), so the channels line up by index. Gaps
 * are zeros (written, or a sparse hole for long gaps, which reads back as zeros). Files
 * only ever grow at their end, so after a crash each is a valid prefix of the channel;
 * a trailing odd byte (a write torn by the kill) is ignored by readers.
 *
 * Durability: audio is handed to the kernel at each flush, which survives a process kill
 * (not a power loss: there is no fsync per flush, which at 2,000 files/s would cost more
 * than the rest of the recorder).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Name of the metadata file in a spool directory. */
export const SPOOL_META_FILE = 'meta.json';

/** Prefix of a metadata file being written; readers and recovery ignore such files. */
export const SPOOL_META_TEMP_PREFIX = '.meta.json.tmp-';

/** Version of the layout above, stored in meta.json so a future layout can still read old spools. */
export const SPOOL_FORMAT_VERSION = 1;

/** What meta.json holds. */
export interface SpoolMeta {
  format: typeof SPOOL_FORMAT_VERSION;
  recordingId: string;
  accountId: string;
  /** Samples per second of every channel file. */
  sampleRate: number;
  /** Number of channel files (ch1.pcm, ch2.pcm). */
  sourceChannels: 1 | 2;
  /** Channels of the final WAV: 2 = ch1 left, ch2 right; 1 = mono mix. */
  outputChannels: 1 | 2;
  /** ISO 8601 time the recording was opened. */
  startedAt: string;
  /** Caller's data (call id, tags...), kept in its own field so it can never shadow the keys above. */
  extra: Record<string, unknown>;
}

// Directory names come from recording ids: no separators, no leading dot (reserved for temp files).
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** Throws unless `recordingId` can be used as a spool directory name. */
export function assertSpoolId(recordingId: string): void {
  if (!SAFE_ID.test(recordingId)) throw new Error(`recording id not usable as a spool directory: ${JSON.stringify(recordingId)}`);
}

/** Directory of a recording's spool under `root`. */
export function spoolDir(root: string, recordingId: string): string {
  assertSpoolId(recordingId);
  return path.join(root, recordingId);
}

/** Path of source channel `channel` (1-based) in a spool directory. */
export function channelFile(dir: string, channel: 1 | 2): string {
  return path.join(dir, `ch${channel}.pcm`);
}

/** Writes meta.json atomically and durably: a reader sees no file or the complete one. */
export async function writeSpoolMeta(dir: string, meta: SpoolMeta): Promise<void> {
  const temp = path.join(dir, `${SPOOL_META_TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const handle = await fsp.open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(meta, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(temp, path.join(dir, SPOOL_META_FILE));
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Reads and validates a spool directory's meta.json; throws when it is missing or malformed. */
export async function readSpoolMeta(dir: string): Promise<SpoolMeta> {
  const text = await fsp.readFile(path.join(dir, SPOOL_META_FILE), 'utf8');
  return parseSpoolMeta(JSON.parse(text) as unknown);
}

/** Validates parsed meta.json content; throws with the first problem found. */
export function parseSpoolMeta(value: unknown): SpoolMeta {
  if (typeof value !== 'object' || value === null) throw new Error('meta.json is not an object');
  const m = value as Record<string, unknown>;
  const fail = (field: string): never => {
    throw new Error(`meta.json: invalid ${field}: ${JSON.stringify(m[field])}`);
  };
  if (m.format !== SPOOL_FORMAT_VERSION) fail('format');
  if (typeof m.recordingId !== 'string' || !SAFE_ID.test(m.recordingId)) fail('recordingId');
  if (typeof m.accountId !== 'string') fail('accountId');
  if (!Number.isInteger(m.sampleRate) || (m.sampleRate as number) <= 0) fail('sampleRate');
  if (m.sourceChannels !== 1 && m.sourceChannels !== 2) fail('sourceChannels');
  if (m.outputChannels !== 1 && m.outputChannels !== 2) fail('outputChannels');
  if (typeof m.startedAt !== 'string' || Number.isNaN(Date.parse(m.startedAt))) fail('startedAt');
  if (typeof m.extra !== 'object' || m.extra === null || Array.isArray(m.extra)) fail('extra');
  return m as unknown as SpoolMeta;
}

/** Makes directory entries (a new file, a rename) durable; best effort where a platform cannot fsync a directory. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Windows cannot open a directory for fsync; its metadata journaling covers the rename.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err;
  } finally {
    await handle?.close();
  }
}
