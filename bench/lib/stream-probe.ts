import { median } from './median.js';
import { openDatabase } from '../../src/storage/db/database.js';
import { KyselyRecordingRepository } from '../../src/storage/db/recordings.repo.js';
import { parseS3Url, S3BlobStore } from '../../src/storage/blob/s3.js';
import { MediaUrlSigner } from '../../src/recordings/media-url-signer.js';
import { systemClock } from '../../src/clock.js';
import { wavHeaderFixed } from '../../src/media/wav.js';
import { NEW_RECORDING_STORAGE } from '../../src/recordings/recording.js';
import { cpuSeconds } from './proc-cpu.js';
import { hasCurl, timeDownload, type DownloadClient } from './s3-stream.js';

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

/** Throughput with one client: straight from the bucket (a presigned GET) and through the service. */
export interface StreamFigures {
  client: DownloadClient;
  direct: number;
  service: number;
  /** Every measured download, MB/s, in order. */
  directRuns: number[];
  serviceRuns: number[];
  /** Median CPU milliseconds the service process spent per download through it. */
  serviceCpuMs: number;
}

/**
 * Median MB/s of seven downloads each way, alternating, after two of each to warm up (the
 * service's first proxied downloads run while V8 still compiles the stream path and the heap
 * grows). Measured once per client: curl, when installed, uses little CPU of its own, so the
 * client on this host's shared cores weighs on neither side; Node's fetch is measured as well.
 */
export async function measureStreaming(probe: StreamProbe, apiUrl: string, apiPid: number): Promise<StreamFigures[]> {
  const signer = new MediaUrlSigner(BENCH_SECRET, [], 3600, apiUrl, systemClock);
  const figures: StreamFigures[] = [];
  for (const client of hasCurl() ? (['curl', 'fetch'] as const) : (['fetch'] as const)) {
    const direct: number[] = [];
    const service: number[] = [];
    const cpuMs: number[] = [];
    for (let i = 0; i < 9; i++) {
      const d = await timeDownload(await probe.store.signedUrl(probe.key, { ttlSeconds: 600 }), client);
      const cpuBefore = cpuSeconds(apiPid);
      const s = await timeDownload(signer.urlFor(probe.recordingId, 'wav'), client);
      if (i < 2) continue;
      cpuMs.push((cpuSeconds(apiPid) - cpuBefore) * 1000);
      direct.push(d.mbPerSec);
      service.push(s.mbPerSec);
    }
    figures.push({ client, direct: median(direct), service: median(service), directRuns: direct, serviceRuns: service, serviceCpuMs: median(cpuMs) });
  }
  probe.store.close();
  return figures;
}
