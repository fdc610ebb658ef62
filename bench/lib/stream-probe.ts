import { openDatabase } from '../../src/storage/db/database.js';
import { KyselyRecordingRepository } from '../../src/storage/db/recordings.repo.js';
import { parseS3Url, S3BlobStore } from '../../src/storage/blob/s3.js';
import { MediaUrlSigner } from '../../src/recordings/media-url-signer.js';
import { systemClock } from '../../src/clock.js';
import { wavHeaderFixed } from '../../src/media/wav.js';
import { NEW_RECORDING_STORAGE } from '../../src/recordings/recording.js';
import { timeDownload } from './s3-stream.js';

export const BENCH_SECRET = 'bench-secret-0123456789';

/** What the streaming comparison needs: a stored 60-minute WAV and its recording. */
export interface StreamProbe {
  recordingId: string;
  key: string;
  store: S3BlobStore;
}

/** Stores a 60-minute 8 kHz stereo WAV in the bucket and a completed recording pointing at it. */
export async function prepareStreamProbe(databaseUrl: string, storageUrl: string, accountId: string): Promise<StreamProbe> {
  const seconds = 3600;
  const pcm = Buffer.alloc(seconds * 8000 * 2 * 2);
  for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(Math.round(3000 * Math.sin(i / 37)), i);
  const wav = Buffer.concat([wavHeaderFixed({ sampleRate: 8000, channels: 2, dataBytes: pcm.length }), pcm]);
  const store = new S3BlobStore(parseS3Url(storageUrl));
  const recordingId = 'RE' + 'b'.repeat(32);
  const key = `recordings/${accountId}/${recordingId}.wav`;
  const stored = await store.put(key, wav, { contentType: 'audio/wav' });
  const handle = openDatabase(databaseUrl);
  const now = new Date();
  await new KyselyRecordingRepository(handle).insert({
    id: recordingId, accountId, callId: 'CA-stream', status: 'completed', source: 'upload', channels: 2, sampleRate: 8000, durationMs: seconds * 1000,
    errorCode: null, errorMessage: null, dateCreated: now, dateUpdated: now,
    media: { wav: { key, bytes: stored.size, sha256: stored.sha256 }, mp3: { key, bytes: stored.size, sha256: stored.sha256 } }, details: {}, ...NEW_RECORDING_STORAGE,
  });
  await handle.close();
  return { recordingId, key, store };
}

/** Median MB/s of five downloads each: straight from the bucket (presigned GET) and through the service. */
export async function measureStreaming(probe: StreamProbe, apiUrl: string): Promise<{ direct: number; service: number }> {
  const signer = new MediaUrlSigner(BENCH_SECRET, [], 3600, apiUrl, systemClock);
  const direct: number[] = [];
  const service: number[] = [];
  for (let i = 0; i < 5; i++) {
    direct.push((await timeDownload(await probe.store.signedUrl(probe.key, { ttlSeconds: 600 }))).mbPerSec);
    service.push((await timeDownload(signer.urlFor(probe.recordingId, 'wav'))).mbPerSec);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  probe.store.close();
  return { direct: median(direct), service: median(service) };
}
