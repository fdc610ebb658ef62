// Checks the recordings of one benchmark step sample by sample: every frame sent must be
// in the stored WAV exactly where its timestamp puts it, on its own channel.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { channelsOf, readPcmWav } from '../../test/helpers/audio.js';
import { expectedPcm, FRAME } from './streams-signal.js';

export interface VerifyResult {
  streams: number;
  /** Streams whose recording was found and checked. */
  checked: number;
  missingRecordings: number;
  /** Frames (per track) absent or different from what was sent. */
  badFrames: number;
  /** Frames checked, both tracks. */
  goodFrames: number;
  /** First problems, for the report. */
  problems: string[];
}

/** Rows of a step's recordings that are stored (WAV key set). */
export function storedCount(dbFile: string, accountId: string, tag: string): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("select count(*) as n from recordings where account_id = ? and call_id like ? and (wav_key is not null or status = 'failed')").get(accountId, `BENCH-${tag}-%`) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

function findExact(haystack: Int16Array, needle: Int16Array, limit: number): number {
  outer: for (let i = 0; i + needle.length <= Math.min(haystack.length, limit + needle.length); i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function equal(a: Int16Array, b: Int16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Verifies `indexes` of the step's streams (stream i sent `framesPerTrack[i]` frames per track)
 * and deletes their WAV files afterwards, so a long ramp does not fill the disk.
 */
export function verifyStep(opts: { dbFile: string; mediaRoot: string; accountId: string; tag: string; indexes: number[]; framesPerTrack: number[] }): VerifyResult {
  const db = new Database(opts.dbFile, { readonly: true, fileMustExist: true });
  const query = db.prepare('select id, status, wav_key, channels from recordings where account_id = ? and call_id = ? order by date_created desc limit 1');
  const result: VerifyResult = { streams: opts.indexes.length, checked: 0, missingRecordings: 0, badFrames: 0, goodFrames: 0, problems: [] };
  const problem = (s: string) => result.problems.length < 10 && result.problems.push(s);
  try {
    for (const s of opts.indexes) {
      const frames = opts.framesPerTrack[s];
      const row = query.get(opts.accountId, `BENCH-${opts.tag}-${s}`) as { id: string; status: string; wav_key: string | null; channels: number } | undefined;
      if (!row?.wav_key) {
        result.missingRecordings++;
        result.badFrames += 2 * frames;
        problem(`stream ${s}: no stored recording (${row ? row.status : 'no row'})`);
        continue;
      }
      const file = path.join(opts.mediaRoot, row.wav_key);
      const wav = readPcmWav(fs.readFileSync(file));
      result.checked++;
      if (wav.channels !== 2 || wav.sampleRate !== 8000) {
        result.badFrames += 2 * frames;
        problem(`stream ${s}: ${wav.channels} channels at ${wav.sampleRate} Hz`);
        continue;
      }
      const [ch1, ch2] = channelsOf(wav.samples, 2);
      // Stream time 0 sits where the call finished opening: find it, then everything is fixed.
      const start = findExact(ch1, expectedPcm(s, 0, 0), 8000 * 30);
      if (start < 0) {
        result.badFrames += 2 * frames;
        problem(`stream ${s}: first frame not found`);
        continue;
      }
      let bad = 0;
      for (let k = 0; k < frames; k++) {
        const at = start + k * FRAME;
        if (!equal(ch1.subarray(at, at + FRAME), expectedPcm(s, 0, k))) bad++;
        if (!equal(ch2.subarray(at, at + FRAME), expectedPcm(s, 1, k))) bad++;
      }
      for (let i = 0; i < start; i++) if (ch1[i] !== 0 || ch2[i] !== 0) {
        bad++;
        problem(`stream ${s}: audio before the first frame`);
        break;
      }
      if (ch1.length !== start + frames * FRAME) {
        bad++;
        problem(`stream ${s}: ${ch1.length - start} samples after the first frame, sent ${frames * FRAME}`);
      }
      if (bad) problem(`stream ${s}: ${bad} frames wrong or missing`);
      result.badFrames += bad;
      result.goodFrames += 2 * frames - Math.min(bad, 2 * frames);
      fs.rmSync(file, { force: true });
    }
  } finally {
    db.close();
  }
  return result;
}
