import { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { MediaError } from '../media/media-error.js';
import { decodeMp3, Mp3StreamEncoder } from '../media/mp3.js';
import { WAV_HEADER_BYTES, wavHeaderFixed } from '../media/wav.js';
import { PermanentJobError } from '../jobs/job-queue.js';
import type { BlobStore } from '../storage/blob/blob-store.js';
import { mediaKey, type Recording, type StoredMedia } from './recording.js';
import type { RecordingRepository } from './recording.repo.js';
import type { RecordingEventSink } from './recording-events.js';
import type { MediaSealing } from './media-sealing.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Streams a stored WAV (our own canonical header, then PCM16) through the MP3
 * encoder, so a long recording is never held in memory whole.
 */
async function* mp3FromWav(wav: Readable, sampleRate: number, channels: 1 | 2): AsyncGenerator<Buffer> {
  const encoder = await Mp3StreamEncoder.create({ sampleRate, channels });
  const frameBytes = 2 * channels;
  let headerLeft = WAV_HEADER_BYTES;
  let carry = Buffer.alloc(0);
  for await (const raw of wav) {
    let chunk = raw as Buffer;
    if (headerLeft > 0) {
      const skip = Math.min(headerLeft, chunk.length);
      headerLeft -= skip;
      chunk = chunk.subarray(skip);
    }
    if (carry.length) chunk = Buffer.concat([carry, chunk]);
    const usable = chunk.length - (chunk.length % frameBytes);
    carry = Buffer.from(chunk.subarray(usable));
    if (usable === 0) continue;
    // Int16Array needs 2-byte alignment; stream chunks may start anywhere.
    const aligned = chunk.byteOffset % 2 === 0 ? chunk : Buffer.from(chunk);
    const samples = new Int16Array(aligned.buffer, aligned.byteOffset, usable / 2);
    const out = encoder.encode(samples);
    if (out.length) yield Buffer.from(out);
  }
  const tail = encoder.finish();
  if (tail.length) yield Buffer.from(tail);
}

/** Makes the rendition a recording lacks (MP3 from WAV, or WAV from an uploaded MP3), then completes it. */
export class RenditionsService {
  constructor(
    private readonly deps: { repo: RecordingRepository; blobs: BlobStore; events: RecordingEventSink; clock: Clock; log: Logger; sealing?: MediaSealing },
  ) {}

  /**
   * Idempotent: a completed or deleted recording is left alone, keys are deterministic
   * (a rerun overwrites its own output) and only one run can flip the status.
   */
  async complete(recordingId: string): Promise<void> {
    const recording = await this.deps.repo.findByIdUnscoped(recordingId);
    if (!recording || recording.status !== 'in-progress') return;
    const media = { ...recording.media };
    try {
      if (!media.wav && media.mp3) media.wav = await this.wavFromMp3(recording, media.mp3);
      if (!media.mp3 && media.wav) media.mp3 = await this.mp3FromWav(recording, media.wav);
    } catch (err) {
      if (err instanceof MediaError) throw new PermanentJobError(err.message, err.code);
      throw err;
    }
    // Encryption at rest: renditions sealed with the account's own key are described on the recording as it completes.
    const encryption = await this.deps.sealing?.describe(recording, media);
    const details = encryption ? { details: { ...recording.details, encryption } } : {};
    const changed = await this.deps.repo.update(recording.id, { status: 'completed', media, ...details }, this.deps.clock.now(), 'in-progress');
    if (changed) {
      const completed = await this.deps.repo.findByIdUnscoped(recording.id);
      // Processing is done: the service gives up its own access to media sealed with the account's key.
      if (completed) await this.deps.sealing?.processingDone(completed);
      if (completed) await this.deps.events.publish('recording.completed', completed);
    }
  }

  private async wavFromMp3(recording: Recording, mp3: StoredMedia): Promise<StoredMedia> {
    const decoded = await decodeMp3(await readAll(await this.deps.blobs.get(mp3.key)));
    const pcm = Buffer.from(decoded.samples.buffer, decoded.samples.byteOffset, decoded.samples.byteLength);
    const key = mediaKey(recording.accountId, recording.id, 'wav');
    const stored = await this.deps.blobs.put(key, Buffer.concat([wavHeaderFixed({ sampleRate: decoded.sampleRate, channels: decoded.channels, dataBytes: pcm.length }), pcm]), {
      contentType: 'audio/wav',
    });
    return { key, bytes: stored.size, sha256: stored.sha256 };
  }

  private async mp3FromWav(recording: Recording, wav: StoredMedia): Promise<StoredMedia> {
    const key = mediaKey(recording.accountId, recording.id, 'mp3');
    const source = await this.deps.blobs.get(wav.key);
    const body = Readable.from(mp3FromWav(source, recording.sampleRate ?? 8000, recording.channels));
    const stored = await this.deps.blobs.put(key, body, { contentType: 'audio/mpeg' });
    return { key, bytes: stored.size, sha256: stored.sha256 };
  }
}
