import type { MediaFormat } from '../recordings/recording.js';

/** The JSON body of every webhook request. */
export interface WebhookEventBody {
  /** `EV...`: the same in every attempt and at every URL; receivers de-duplicate on it. */
  id: string;
  type: string;
  /** When the event happened (ISO 8601). */
  created_at: string;
  data: Record<string, unknown>;
}

/** Serialises an event once; that string is stored and signed as is. */
export function eventBody(event: WebhookEventBody): string {
  return JSON.stringify(event);
}

/**
 * Re-signs the media URLs of `data.recording` (media URLs expire after MEDIA_URL_TTL,
 * retries go on for a day), leaving every other byte of the event as it was. Bodies
 * without media URLs come back unchanged.
 */
export function withFreshMediaUrls(payload: string, sign: (recordingId: string, format: MediaFormat) => string): string {
  let event: { data?: { recording?: { id?: unknown; media_url?: unknown; media_urls?: Record<string, unknown> } } };
  try {
    event = JSON.parse(payload);
  } catch {
    return payload;
  }
  const recording = event?.data?.recording;
  if (!recording || typeof recording.id !== 'string' || !recording.media_urls || typeof recording.media_urls !== 'object') return payload;
  const old = recording.media_urls;
  const fresh: Record<string, unknown> = {};
  for (const [format, url] of Object.entries(old)) fresh[format] = format === 'wav' || format === 'mp3' ? sign(recording.id, format) : url;
  const defaultFormat = Object.keys(old).find((f) => old[f] === recording.media_url);
  if (defaultFormat) recording.media_url = fresh[defaultFormat];
  recording.media_urls = fresh;
  return JSON.stringify(event);
}
