/**
 * Crash recovery at startup: every directory left under the spool root belongs to a
 * recording that was live when the process died (finished ones are removed after their
 * upload). The caller finalizes those with meta (uploadSpool, then removeSpool) and
 * deletes those without (they died inside RecordingWriter.open, before any audio).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { readSpoolMeta, type SpoolMeta } from './spool.js';

/** One directory found under the spool root. */
export interface SpooledRecording {
  /** Absolute or root-relative path of the directory, as joined from `root`. */
  dir: string;
  /** The parsed meta.json, or null when it is missing or unreadable (an orphan). */
  meta: SpoolMeta | null;
  /** Why meta is null. */
  error?: Error;
}

/** Lists the spool directories under `root` in name order; yields nothing when root does not exist. */
export async function* findSpooledRecordings(root: string): AsyncIterable<SpooledRecording> {
  let entries;
  try {
    entries = await fsp.readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  // Only directories are spools; files at the root were not made by the recorder.
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const name of dirs) {
    const dir = path.join(root, name);
    let found: SpooledRecording;
    try {
      // Reads meta.json only: a `.meta.json.tmp-*` left by a crash mid-write is not meta.
      found = { dir, meta: await readSpoolMeta(dir) };
    } catch (err) {
      found = { dir, meta: null, error: err instanceof Error ? err : new Error(String(err)) };
    }
    yield found;
  }
}

/** Deletes a spool directory and everything in it; removing an absent one is not an error. */
export async function removeSpool(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
}
