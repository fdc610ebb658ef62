import { DomainError } from '../errors.js';
import { MediaError } from '../media/media-error.js';
import { decodeWav, looksLikeWav, parseWavHeader, wavHeaderFixed } from '../media/wav.js';
import { looksLikeMp3File, scanMp3 } from '../media/mp3-frames.js';
import type { MediaFormat } from './recording.js';

/** MP3 can only carry these rates, and every recording is stored as MP3 too. */
export const SUPPORTED_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** An upload checked down to its last byte, with the rendition to store at once. */
export interface InspectedUpload {
  /** What the client sent, e.g. "wav/pcm16", "wav/mulaw", "mp3". */
  originalFormat: string;
  channels: 1 | 2;
  sampleRate: number;
  durationMs: number;
  /** Stored immediately; the other format is made by the transcode job. */
  rendition: { format: MediaFormat; bytes: Buffer; contentType: string };
}

function invalid(code: string, message: string): DomainError {
  return new DomainError('invalid', code, message);
}

function checkShape(channels: number, sampleRate: number): 1 | 2 {
  if (channels !== 1 && channels !== 2) throw invalid('audio_unsupported_channels', `recordings have 1 or 2 channels; this audio has ${channels}`);
  if (!SUPPORTED_SAMPLE_RATES.includes(sampleRate)) {
    throw invalid('audio_unsupported_sample_rate', `sample rate ${sampleRate} Hz is not supported; use one of ${SUPPORTED_SAMPLE_RATES.join(', ')}`);
  }
  return channels;
}

function inspectWav(body: Buffer): InspectedUpload {
  const info = parseWavHeader(body);
  const channels = checkShape(info.channels, info.sampleRate);
  if (info.frameCount === 0) throw invalid('audio_empty', 'the WAV file holds no audio samples');
  let pcm: Buffer;
  if (info.format === 'pcm16') {
    pcm = body.subarray(info.dataOffset, info.dataOffset + info.frameCount * channels * 2);
  } else {
    const decoded = decodeWav(body);
    pcm = Buffer.from(decoded.samples.buffer, decoded.samples.byteOffset, decoded.samples.byteLength);
  }
  return {
    originalFormat: `wav/${info.format}`,
    channels,
    sampleRate: info.sampleRate,
    durationMs: Math.round((info.frameCount * 1000) / info.sampleRate),
    rendition: { format: 'wav', bytes: Buffer.concat([wavHeaderFixed({ sampleRate: info.sampleRate, channels, dataBytes: pcm.length }), pcm]), contentType: 'audio/wav' },
  };
}

function inspectMp3(body: Buffer): InspectedUpload {
  const scan = scanMp3(body);
  const channels = checkShape(scan.channels, scan.sampleRate);
  return {
    originalFormat: 'mp3',
    channels,
    sampleRate: scan.sampleRate,
    durationMs: Math.round((scan.samples * 1000) / scan.sampleRate),
    // The MP3 is kept as sent: re-encoding it would only lose quality.
    rendition: { format: 'mp3', bytes: body, contentType: 'audio/mpeg' },
  };
}

/**
 * Validates an uploaded body by its bytes (not its Content-Type) and prepares the
 * rendition to store. Throws DomainError('invalid', code) for empty, unrecognised,
 * truncated or corrupt audio, so nothing is stored for a bad upload.
 */
export function inspectUpload(body: Buffer): InspectedUpload {
  if (body.length === 0) throw invalid('audio_empty', 'the request body is empty; send a WAV or MP3 file');
  try {
    if (looksLikeWav(body)) return inspectWav(body);
    if (looksLikeMp3File(body)) return inspectMp3(body);
  } catch (err) {
    if (err instanceof MediaError) throw invalid(err.code, err.message);
    throw err;
  }
  throw invalid('audio_unrecognized', 'the body is not WAV or MP3 audio');
}
