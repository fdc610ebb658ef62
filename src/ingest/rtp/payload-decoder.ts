import { alawDecode, mulawDecode } from '../../media/g711.js';
import { G722Decoder } from '../../media/g722.js';
import { l16Decode } from '../../media/l16.js';
import { downmixToMono } from '../../media/mix.js';

/** The codecs we record, as negotiated in SDP. */
export interface AudioCodec {
  name: 'PCMU' | 'PCMA' | 'G722' | 'L16';
  payloadType: number;
  /** RTP clock, ticks per second (8000 for G.722 although its audio is 16 kHz). */
  clockRate: number;
  channels: number;
  /** Audio samples per second the decoder produces. */
  sampleRate: number;
}

/** Turns one RTP payload into mono 16-bit samples at the codec's sample rate. */
export type PayloadDecoder = (payload: Buffer) => Int16Array;

/** A decoder for one stream (G.722 keeps state across packets, so never share one between streams). */
export function createPayloadDecoder(codec: AudioCodec): PayloadDecoder {
  switch (codec.name) {
    case 'PCMU':
      return (payload) => mulawDecode(payload);
    case 'PCMA':
      return (payload) => alawDecode(payload);
    case 'G722': {
      const decoder = new G722Decoder();
      return (payload) => decoder.decode(payload);
    }
    case 'L16': {
      // Network byte order; a stereo L16 stream is recorded as one party, so it is mixed down.
      if (codec.channels === 1) return (payload) => l16Decode(payload.subarray(0, payload.length & ~1));
      const frameBytes = 2 * codec.channels;
      return (payload) => downmixToMono(l16Decode(payload.subarray(0, payload.length - (payload.length % frameBytes))), codec.channels);
    }
  }
}
