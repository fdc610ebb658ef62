/**
 * Error raised for media that cannot be parsed, decoded or encoded.
 *
 * `code` is stable and machine-readable (the API maps it to an HTTP status in one
 * place); `message` is for humans and may change. Codes used by this folder:
 * - `audio_unrecognized`      not a format we recognise (not RIFF/WAVE, not MP3)
 * - `audio_empty`             well-formed but holds no audio samples
 * - `wav_truncated`           header or declared data extends past the end of the file
 * - `wav_corrupt`             self-contradictory header (block align, 0 channels, ...)
 * - `wav_unsupported_format`  valid WAV we do not decode (24-bit, float, ADPCM, > 2 channels)
 * - `mp3_truncated`           MP3 whose last frame (or ID3 tag) runs past the end of the file
 * - `mp3_corrupt`             looks like MP3 but its frame chain is broken or does not decode
 * - `mp3_unsupported_format`  sample rate / channels / bitrate that MP3 (LAME) cannot encode
 * - `l16_odd_length`          L16 payload with an odd number of bytes
 */
export class MediaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}
