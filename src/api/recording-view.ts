import type { MediaUrlSigner } from '../recordings/media-url-signer.js';
import type { Pricing } from '../recordings/pricing.js';
import { isDownloadable, type MediaFormat, type Recording } from '../recordings/recording.js';
import type { RecordingView } from './recordings.schemas.js';

/** Turns domain recordings into API resources with fresh signed media URLs and a price. */
export class RecordingViewer {
  constructor(
    private readonly signer: MediaUrlSigner,
    private readonly pricing: Pricing,
    private readonly defaultFormat: MediaFormat,
  ) {}

  /**
   * Serialised views of cached recordings, while their URLs' expiry stays the same. A cached
   * recording is frozen and replaced, never changed, when it changes, so it keys its own
   * rendering; the entry goes with it.
   */
  private readonly renderedViews = new WeakMap<Recording, { expires: number; body: string }>();

  /**
   * The view of `r` serialised by `serialize` (the route's response serializer). For a
   * recording from the recording cache the text is kept until its signed URLs' expiry moves
   * (at most a minute): `GET /recordings/{id}` then skips building and serialising the view,
   * ~5 µs of its ~40 on the event loop. The kept text is whatever `serialize` first made of
   * it, so this serves one response shape: that route's.
   */
  rendered(r: Recording, serialize: (view: RecordingView) => string): string {
    if (!Object.isFrozen(r)) return serialize(this.view(r));
    const expires = this.signer.currentExpiry();
    const kept = this.renderedViews.get(r);
    if (kept?.expires === expires) return kept.body;
    const body = serialize(this.view(r));
    this.renderedViews.set(r, { expires, body });
    return body;
  }

  /** The API representation of one recording. */
  view(r: Recording): RecordingView {
    const out: RecordingView = {
      id: r.id,
      call_id: r.callId,
      account_id: r.accountId,
      status: r.status,
      duration: Math.round(r.durationMs / 1000),
      channels: r.channels,
      source: r.source,
      price: this.pricing.priceOf(r.durationMs),
      price_unit: this.pricing.currency,
      date_created: r.dateCreated.toISOString(),
      date_updated: r.dateUpdated.toISOString(),
      legal_hold: r.legalHold,
      storage_class: r.storageClass,
    };
    if (r.tags.length) out.tags = r.tags;
    if (r.mediaDeletedAt) out.date_media_deleted = r.mediaDeletedAt.toISOString();
    if (r.integrity) {
      out.integrity = { status: r.integrity.status, checked_at: r.integrity.checkedAt.toISOString() };
      if (r.integrity.detail) out.integrity.detail = r.integrity.detail;
    }
    if (r.sampleRate) out.sample_rate = r.sampleRate;
    if (r.status === 'in-progress' && r.source !== 'upload') out.paused = Boolean(r.details.paused);
    if (isDownloadable(r, 'wav') && isDownloadable(r, 'mp3')) {
      out.media_urls = { wav: this.signer.urlFor(r.id, 'wav'), mp3: this.signer.urlFor(r.id, 'mp3') };
      out.media_url = out.media_urls[this.defaultFormat];
      if (r.redactedAudio) {
        out.media_urls.wav_redacted = this.signer.urlFor(r.id, 'redacted.wav');
        out.media_urls.mp3_redacted = this.signer.urlFor(r.id, 'redacted.mp3');
      }
    }
    if (r.transcriptionStatus) {
      out.transcription_status = r.transcriptionStatus as RecordingView['transcription_status'];
      out.transcription_url = `/v1/recordings/recordings/${r.id}/transcription`;
    }
    if (r.errorCode) out.error_code = r.errorCode;
    if (r.errorMessage) out.error_message = r.errorMessage;
    if (r.details.channelMap) out.channel_map = r.details.channelMap;
    if (r.details.dtmf?.length) {
      out.dtmf_events = r.details.dtmf.map((d) => ({ digit: d.digit, channel: d.channel, start: d.startMs / 1000, duration: d.durationMs / 1000 }));
    }
    if (r.details.encryption) {
      out.encryption_details = {};
      for (const [format, e] of Object.entries(r.details.encryption)) {
        out.encryption_details[format as MediaFormat] = {
          algorithm: e.algorithm,
          chunk_size: e.chunkSize,
          nonce_prefix: e.noncePrefix,
          wrapped_key: e.wrappedKey,
          key_wrap: e.keyWrap,
          key_fingerprint: e.keyFingerprint,
        };
      }
    }
    return out;
  }
}
