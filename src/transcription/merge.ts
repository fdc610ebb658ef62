import type { ChannelMapEntry } from '../recordings/recording.js';
import type { EngineSegment } from './transcription-engine.js';
import type { TranscriptSegment } from './transcript.js';

/** The label of a channel's party: channel_map name, else address, else role, else "Speaker N". */
export function speakerFor(channel: number, channelMap: ChannelMapEntry[] | undefined): string {
  const p = channelMap?.find((e) => e.channel === channel)?.participant;
  return p?.name?.trim() || p?.aor?.trim() || p?.role?.trim() || `Speaker ${channel}`;
}

/**
 * Merges each channel's segments into one conversation ordered by start time (ties by end,
 * then channel), each labelled with its channel's speaker.
 */
export function mergeChannels(perChannel: Array<{ channel: number; segments: EngineSegment[] }>, channelMap?: ChannelMapEntry[]): TranscriptSegment[] {
  const all: TranscriptSegment[] = [];
  for (const { channel, segments } of perChannel) {
    const speaker = speakerFor(channel, channelMap);
    for (const s of segments) all.push({ channel, speaker, start: s.start, end: s.end, text: s.text, confidence: s.confidence, words: s.words });
  }
  return all.sort((a, b) => a.start - b.start || a.end - b.end || a.channel - b.channel);
}

/** The transcript's `text`: one line per segment, in order. */
export function transcriptText(segments: TranscriptSegment[]): string {
  return segments.map((s) => s.text).join('\n');
}
