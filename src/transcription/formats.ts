import type { Transcript, TranscriptSegment } from './transcript.js';

/** Renderings of a transcript besides JSON. */
export const TRANSCRIPT_FORMATS = ['json', 'txt', 'vtt', 'srt'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export const FORMAT_CONTENT_TYPES: Record<TranscriptFormat, string> = {
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
};

/** Picks the format: `?format=` wins, else the first Accept type we know, else JSON. */
export function negotiateFormat(query: string | undefined, accept: string | undefined): TranscriptFormat {
  if (query) return query as TranscriptFormat;
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
    if (type === 'text/plain') return 'txt';
    if (type === 'text/vtt') return 'vtt';
    if (type === 'application/x-subrip' || type === 'text/srt' || type === 'application/srt') return 'srt';
  }
  return 'json';
}

/** hh:mm:ss.mmm (WebVTT) or hh:mm:ss,mmm (SRT) from seconds. */
export function timestamp(seconds: number, separator: '.' | ','): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}

/** Plain text: one `Speaker: text` line per segment. */
export function toPlainText(segments: TranscriptSegment[]): string {
  return segments.map((s) => `${s.speaker}: ${s.text}`).join('\n') + (segments.length ? '\n' : '');
}

/** WebVTT cues with the speaker as a voice span (`<v Speaker>`). */
export function toWebVtt(segments: TranscriptSegment[]): string {
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const cues = segments.map((s, i) => `${i + 1}\n${timestamp(s.start, '.')} --> ${timestamp(Math.max(s.end, s.start), '.')}\n<v ${escape(s.speaker)}>${escape(s.text)}`);
  return ['WEBVTT', '', ...cues.flatMap((c) => [c, ''])].join('\n');
}

/** SubRip: numbered cues, `Speaker: text`. */
export function toSrt(segments: TranscriptSegment[]): string {
  return segments.map((s, i) => `${i + 1}\n${timestamp(s.start, ',')} --> ${timestamp(Math.max(s.end, s.start), ',')}\n${s.speaker}: ${s.text}\n`).join('\n');
}

/** The transcript rendered in a text format. */
export function renderTranscript(t: Pick<Transcript, 'segments'>, format: Exclude<TranscriptFormat, 'json'>): string {
  if (format === 'txt') return toPlainText(t.segments);
  if (format === 'vtt') return toWebVtt(t.segments);
  return toSrt(t.segments);
}
