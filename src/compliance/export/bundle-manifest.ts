import type { WrittenEntry } from './archive-writer.js';
import type { EntrySpool } from './entry-spool.js';

/** What the build remembers of every file, spooled to disk: listed files, bundle metadata files, and media it could not find. */
export type SpoolRecord =
  | { kind: 'file'; entry: WrittenEntry; recordingId?: string }
  /** manifest.json and MANIFEST.sha256: in the archive (and zip directory), not in manifest.json's own list. */
  | { kind: 'meta'; entry: WrittenEntry }
  | { kind: 'missing'; path: string; recordingId: string; format: string; reason: string };

/** Name of the manifest and of the `sha256sum -c` checksum list, at the bundle's root. */
export const MANIFEST_JSON = 'manifest.json';
export const MANIFEST_SHA256 = 'MANIFEST.sha256';

const CHUNK = 64 * 1024;

/** Groups small strings into chunks of about 64 KiB, so the archive gets few, reasonably sized writes. */
async function* chunked(pieces: AsyncIterable<string>): AsyncGenerator<Buffer> {
  let pending: string[] = [];
  let length = 0;
  for await (const piece of pieces) {
    pending.push(piece);
    length += piece.length;
    if (length >= CHUNK) {
      yield Buffer.from(pending.join(''), 'utf8');
      pending = [];
      length = 0;
    }
  }
  if (pending.length) yield Buffer.from(pending.join(''), 'utf8');
}

/** Bytes a generator produces (to announce a file's size before writing it). */
export async function measure(render: () => AsyncIterable<Buffer>): Promise<number> {
  let size = 0;
  for await (const chunk of render()) size += chunk.length;
  return size;
}

function relative(root: string, path: string): string {
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/**
 * manifest.json: `head` fields first, then `files` (every file with its size and SHA-256,
 * paths relative to the bundle's root folder), then `missing` (media the recording names
 * but storage no longer has). Rendered from the spool, line by line, never whole in memory.
 */
export function renderManifest(head: Record<string, unknown>, spool: EntrySpool<SpoolRecord>, root: string): () => AsyncIterable<Buffer> {
  return () =>
    chunked(
      (async function* () {
        yield '{\n';
        for (const [key, value] of Object.entries(head)) yield `  ${JSON.stringify(key)}: ${JSON.stringify(value)},\n`;
        yield '  "files": [';
        let n = 0;
        for await (const record of spool.read()) {
          if (record.kind !== 'file') continue;
          const line = { path: relative(root, record.entry.path), bytes: record.entry.size, sha256: record.entry.sha256, ...(record.recordingId ? { recording_id: record.recordingId } : {}) };
          yield `${n++ === 0 ? '\n' : ',\n'}    ${JSON.stringify(line)}`;
        }
        yield n ? '\n  ],\n  "missing": [' : '],\n  "missing": [';
        let m = 0;
        for await (const record of spool.read()) {
          if (record.kind !== 'missing') continue;
          const line = { path: relative(root, record.path), recording_id: record.recordingId, format: record.format, reason: record.reason };
          yield `${m++ === 0 ? '\n' : ',\n'}    ${JSON.stringify(line)}`;
        }
        yield m ? '\n  ]\n}\n' : ']\n}\n';
      })(),
    );
}

/**
 * MANIFEST.sha256 in `sha256sum` format (`<hex>  <path>`), covering every listed file and
 * manifest.json, so `sha256sum -c MANIFEST.sha256` in the bundle's root folder checks it all.
 */
export function renderChecksums(spool: EntrySpool<SpoolRecord>, root: string): () => AsyncIterable<Buffer> {
  return () =>
    chunked(
      (async function* () {
        for await (const record of spool.read()) {
          if (record.kind === 'missing') continue;
          yield `${record.entry.sha256}  ${relative(root, record.entry.path)}\n`;
        }
      })(),
    );
}
