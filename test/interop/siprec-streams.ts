/**
 * The media sipp plays in sipp/siprec-uac.xml: `siprec-streams.pcap`, holding two PCMU
 * RTP streams side by side, each a known tone so the recording shows which stream landed
 * on which channel. Generated at run time (no binary in the repository):
 *
 *   npx tsx test/interop/siprec-streams.ts <dir>     writes <dir>/siprec-streams.pcap
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { mulawTone, rtpPcap } from './rtp-pcap.js';

/** File name the scenario plays (resolved by sipp next to the scenario, else in its working directory). */
export const PCAP_NAME = 'siprec-streams.pcap';
/** Stream 1 (a=label:1, sent by the caller Alice): a 440 Hz tone. */
export const CALLER_TONE_HZ = 440;
/** Stream 2 (a=label:2, sent by Bob): a 1000 Hz tone. */
export const CALLEE_TONE_HZ = 1000;
/** Length of each stream, in seconds (200 packets of 20 ms). */
export const STREAM_SECONDS = 4;
/** SSRCs of the two streams, so a capture of the wire tells them apart. */
export const SSRCS = [0x5a1ce001, 0x0b0b0002] as const;

/**
 * The capture: stream 1 to UDP port 6000 and stream 2 to 6002. sipp sends a packet to
 * (answered audio port + its port − 6000), so stream 2 reaches the answered port + 2.
 */
export function siprecStreamsPcap(): Buffer {
  return rtpPcap([
    { dstPort: 6000, ssrc: SSRCS[0], payloadType: 0, payload: mulawTone(CALLER_TONE_HZ, STREAM_SECONDS), firstSeq: 1000, firstTs: 16000 },
    { dstPort: 6002, ssrc: SSRCS[1], payloadType: 0, payload: mulawTone(CALLEE_TONE_HZ, STREAM_SECONDS), firstSeq: 50000, firstTs: 4_000_000_000 },
  ]);
}

/** Writes the capture into `dir`; returns its path. */
export function writeSiprecStreamsPcap(dir: string): string {
  const file = path.join(dir, PCAP_NAME);
  fs.writeFileSync(file, siprecStreamsPcap());
  return file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2] ?? '.';
  console.log(writeSiprecStreamsPcap(dir));
}
