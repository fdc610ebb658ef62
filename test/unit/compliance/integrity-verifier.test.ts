import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IntegrityVerifier, type IntegrityFinding } from '../../../src/compliance/integrity/integrity-verifier.js';
import type { IntegrityRepository } from '../../../src/compliance/integrity/integrity.repo.js';
import { classifyReadError } from '../../../src/compliance/integrity/read-errors.js';
import { ManualClock } from '../../../src/clock.js';
import { createLogger } from '../../../src/logger.js';
import { NEW_RECORDING_STORAGE, type IntegrityStatus, type Recording } from '../../../src/recordings/recording.js';
import type { RecordingEventType } from '../../../src/recordings/recording-events.js';
import { BlobNotFoundError, type BlobStore } from '../../../src/storage/blob/blob-store.js';
import { MediaStores } from '../../../src/storage/blob/media-stores.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A BlobStore in memory; `failGet` makes reads of a key throw (or fail mid-stream). */
class MemoryStore implements BlobStore {
  readonly description = 'memory';
  readonly objects = new Map<string, Buffer>();
  readonly failGet = new Map<string, { error: Error; midStream?: boolean; times?: number }>();
  reads = 0;
  async put(key: string, body: Readable | Buffer) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.concat(await body.toArray());
    this.objects.set(key, bytes);
    return { size: bytes.length, sha256: sha(bytes) };
  }
  async get(key: string) {
    this.reads++;
    const fail = this.failGet.get(key);
    if (fail && (fail.times === undefined || fail.times-- > 0)) {
      if (!fail.midStream) throw fail.error;
      return new Readable({ read() { this.push(Buffer.alloc(10)); this.destroy(fail.error); } });
    }
    const bytes = this.objects.get(key);
    if (!bytes) throw new BlobNotFoundError(key);
    return Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]);
  }
  async stat(key: string) { const b = this.objects.get(key); return b ? { size: b.length } : null; }
  async delete(key: string) { this.objects.delete(key); }
  async deleteMany(keys: string[]) { for (const key of keys) this.objects.delete(key); }
  async *list() {}
}

/** IntegrityRepository over an array of recordings, with the conditional "newly failed" rule. */
class MemoryIntegrityRepo implements IntegrityRepository {
  constructor(readonly rows: Map<string, Recording>) {}
  async checkableAfter(afterId: string, limit: number) {
    return [...this.rows.values()].filter((r) => r.id > afterId && r.status !== 'in-progress' && (r.media.wav || r.media.mp3)).sort((a, b) => a.id.localeCompare(b.id)).slice(0, limit);
  }
  async sampleIds(n: number) { return [...this.rows.keys()].slice(0, n); }
  async byIds(ids: string[]) { return ids.map((id) => this.rows.get(id)).filter((r): r is Recording => Boolean(r)); }
  async record(id: string, status: IntegrityStatus, checkedAt: Date, detail: string | null) {
    const r = this.rows.get(id)!;
    const newlyFailed = status !== 'ok' && r.integrity?.status !== status;
    r.integrity = { status, checkedAt, detail };
    return { newlyFailed };
  }
  async failureCounts() {
    const all = [...this.rows.values()];
    return { corrupt: all.filter((r) => r.integrity?.status === 'corrupt').length, missing: all.filter((r) => r.integrity?.status === 'missing').length };
  }
}

function setup() {
  const standard = new MemoryStore();
  const archive = new MemoryStore();
  const rows = new Map<string, Recording>();
  const events: Array<{ type: RecordingEventType; recording: Recording }> = [];
  const counted: string[] = [];
  const add = async (id: string, wav: Buffer, mp3?: Buffer) => {
    const media: Recording['media'] = { wav: { key: `recordings/AC1/${id}.wav`, ...(await standard.put(`recordings/AC1/${id}.wav`, wav).then((p) => ({ bytes: p.size, sha256: p.sha256 }))) } };
    if (mp3) media.mp3 = { key: `recordings/AC1/${id}.mp3`, ...(await standard.put(`recordings/AC1/${id}.mp3`, mp3).then((p) => ({ bytes: p.size, sha256: p.sha256 }))) };
    rows.set(id, {
      id, accountId: 'AC1', callId: 'CA1', status: 'completed', source: 'upload', channels: 1, sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null,
      dateCreated: new Date(), dateUpdated: new Date(), media, details: {}, ...NEW_RECORDING_STORAGE,
    });
  };
  let findRecording = async (id: string) => rows.get(id) ?? null;
  const verifier = new IntegrityVerifier({
    repo: new MemoryIntegrityRepo(rows),
    findRecording: (id) => findRecording(id),
    stores: new MediaStores(standard, archive),
    events: { publish: async (type, recording) => void events.push({ type, recording }) },
    clock: new ManualClock(new Date('2026-05-01T00:00:00Z')),
    log: createLogger('silent'),
    onFileChecked: (r) => counted.push(r),
    batchSize: 2,
  });
  return { verifier, standard, archive, rows, events, counted, add, setFind: (f: typeof findRecording) => (findRecording = f) };
}

describe('the integrity verifier', () => {
  it('finds a flipped byte (corrupt) and a deleted object (missing), records them, and publishes each failure once', async () => {
    const t = setup();
    await t.add('RE1', Buffer.from('a'.repeat(100)), Buffer.from('mp3-1'));
    await t.add('RE2', Buffer.from('b'.repeat(100)));
    await t.add('RE3', Buffer.from('c'.repeat(100)));
    t.standard.objects.get('recordings/AC1/RE2.wav')![40] ^= 1;
    t.standard.objects.delete('recordings/AC1/RE3.wav');
    const findings: IntegrityFinding[] = [];
    const report = await t.verifier.verify({ mode: 'all' }, (f) => findings.push(f));
    expect(report).toMatchObject({ recordings: 3, files: 4, ok: 2, corrupt: 1, missing: 1, errors: 0, newlyFailed: 2 });
    expect(findings.map((f) => [f.recordingId, f.status, f.newlyFailed])).toEqual([['RE2', 'corrupt', true], ['RE3', 'missing', true]]);
    expect(t.rows.get('RE1')!.integrity?.status).toBe('ok');
    expect(t.rows.get('RE2')!.integrity?.detail).toMatch(/content differs.*100 bytes expected, 100 read/);
    expect(t.events.map((e) => [e.type, e.recording.id, e.recording.integrity?.status])).toEqual([
      ['recording.integrity_failed', 'RE2', 'corrupt'],
      ['recording.integrity_failed', 'RE3', 'missing'],
    ]);
    expect(t.counted.sort()).toEqual(['corrupt', 'missing', 'ok', 'ok']);
    await t.verifier.verify({ mode: 'all' });
    expect(t.events).toHaveLength(2);
    expect(await t.verifier.failureCounts()).toEqual({ corrupt: 1, missing: 1 });
  });

  it('a read refused as tampered (encrypted media failing authentication) is corrupt; an unreachable store concludes nothing', async () => {
    const t = setup();
    await t.add('RE1', Buffer.from('x'.repeat(50)));
    await t.add('RE2', Buffer.from('y'.repeat(50)));
    class CiphertextAuthError extends Error {}
    t.standard.failGet.set('recordings/AC1/RE1.wav', { error: new CiphertextAuthError('encrypted media failed authentication at chunk 0'), midStream: true });
    t.standard.failGet.set('recordings/AC1/RE2.wav', { error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const findings: IntegrityFinding[] = [];
    const report = await t.verifier.verify({ mode: 'all' }, (f) => findings.push(f));
    expect(report).toMatchObject({ corrupt: 1, errors: 1, newlyFailed: 1 });
    expect(t.rows.get('RE1')!.integrity).toMatchObject({ status: 'corrupt' });
    expect(t.rows.get('RE1')!.integrity!.detail).toContain('failed authentication');
    expect(t.rows.get('RE2')!.integrity).toBeUndefined();
    expect(findings.find((f) => f.recordingId === 'RE2')).toMatchObject({ status: 'error', newlyFailed: false });
  });

  it('retries a transient failure once before giving up', async () => {
    const t = setup();
    await t.add('RE1', Buffer.from('z'.repeat(20)));
    t.standard.failGet.set('recordings/AC1/RE1.wav', { error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), times: 1 });
    expect(await t.verifier.verify({ mode: 'recording', recordingId: 'RE1' })).toMatchObject({ ok: 1, errors: 0 });
  });

  it('re-checks a recording that moved to the archive while it was being read, instead of calling it missing', async () => {
    const t = setup();
    const wav = Buffer.from('q'.repeat(30));
    await t.add('RE1', wav);
    // Retention archived it between the listing and the read: the file is in the archive tier now.
    const archived: Recording = { ...t.rows.get('RE1')!, storageClass: 'archive' };
    await t.archive.put('recordings/AC1/RE1.wav', wav);
    t.standard.objects.delete('recordings/AC1/RE1.wav');
    t.setFind(async () => archived);
    const report = await t.verifier.verify({ mode: 'recording', recordingId: 'RE1' });
    expect(report).toMatchObject({ ok: 1, missing: 0, newlyFailed: 0 });
    expect(t.events).toHaveLength(0);
  });

  it('classifies read errors', () => {
    expect(classifyReadError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe('transient');
    expect(classifyReadError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe('transient');
    expect(classifyReadError(Object.assign(new Error('x'), { code: 'EIO' }))).toBe('corrupt');
    class ServiceKeyReleasedError extends Error {}
    expect(classifyReadError(new ServiceKeyReleasedError('sealed'))).toBe('sealed');
    expect(classifyReadError(new Error('Unsupported state or unable to authenticate data'))).toBe('corrupt');
  });
});
