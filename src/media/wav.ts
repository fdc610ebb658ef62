/**
 * WAV reading and writing. The code lives in wav-reader.ts and wav-writer.ts; this file
 * is the one import path for callers.
 */
export {
  decodeWav,
  looksLikeWav,
  parseWavHeader,
  WAV_MAX_SAMPLE_RATE,
  WAV_MIN_SAMPLE_RATE,
  type DecodedAudio,
  type ParseWavOptions,
  type WavInfo,
  type WavSampleFormat,
} from './wav-reader.js';
export { encodeWav, WAV_HEADER_BYTES, wavHeader, wavHeaderFixed, type WavHeaderParams } from './wav-writer.js';
