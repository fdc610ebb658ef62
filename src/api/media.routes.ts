import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { MediaUrlSigner } from '../recordings/media-url-signer.js';
import { isDownloadable, MEDIA_FORMATS, type MediaFormat, type Recording, type StorageClass } from '../recordings/recording.js';
import type { RecordingRepository } from '../recordings/recording.repo.js';
import type { MediaStores } from '../storage/blob/media-stores.js';
import type { ByteRange } from '../storage/blob/blob-store.js';
import type { StoredMedia } from '../recordings/recording.js';
import type { SealedObject } from '../compliance/encryption/encrypting-blob-store.js';
import { problemResponses } from './common.schemas.js';
import { sendProblem } from './problem.js';
import { sendStored } from './send-stored.js';

export interface MediaRouteDeps {
  signer: MediaUrlSigner;
  /** By-id lookups: the service passes its CachedRecordingReader. */
  recordings: Pick<RecordingRepository, 'findByIdUnscoped'>;
  stores: MediaStores;
  /** Redirect to the bucket's own presigned URL (when it has them) instead of streaming through us. */
  redirect: boolean;
  /** Lifetime of presigned bucket URLs we redirect to, in seconds. */
  presignTtlSeconds: number;
  /** Called for each served download (metrics, audit). */
  /** `bytes` is 0 on a redirect: the object store, not us, serves the bytes (and the requested range). */
  onDownload?: (recording: Recording, format: MediaFormat, bytes: number, ip: string, range: string | undefined, delivery: 'redirect' | 'proxy') => void;
  /** Encryption at rest: the stored bytes of a file sealed with its account's own key (served as they are), else null. */
  sealedMedia?: (storageClass: StorageClass, key: string) => Promise<SealedObject | null>;
  /** The redacted copy of a rendition (transcript redaction; kept in the standard tier), or null. */
  redactedMedia?: (recordingId: string, format: MediaFormat) => Promise<StoredMedia | null>;
}

const CONTENT_TYPES: Record<MediaFormat, string> = { wav: 'audio/wav', mp3: 'audio/mpeg' };

const MediaParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9]{1,64}(\\.redacted)?\\.(wav|mp3)$', description: 'recording id and format, e.g. RE....mp3 (RE....redacted.mp3: the redacted copy)' }) });
const MediaQuery = Type.Object({ expires: Type.String({ maxLength: 16 }), signature: Type.String({ maxLength: 128 }) });

/** Signed media downloads: no API key, the URL's signature is the credential. */
export async function mediaRoutes(app: FastifyInstance, deps: MediaRouteDeps): Promise<void> {
  app.route<{ Params: Static<typeof MediaParams>; Querystring: Static<typeof MediaQuery> }>({
    method: ['GET', 'HEAD'],
    url: '/media/:file',
    exposeHeadRoute: false,
    schema: {
      operationId: 'downloadRecordingMedia',
      summary: 'Download recording media',
      description: 'The target of `media_url` / `media_urls`: signed and expiring, no API key. Supports HEAD, byte ranges (206/416) and ETag.',
      tags: ['Media'],
      security: [],
      params: MediaParams,
      querystring: MediaQuery,
      response: {
        200: {
          description: 'The audio (application/octet-stream: encrypted with the account\'s own key, see `encryption_details` on the recording)',
          content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } }, 'audio/mpeg': { schema: { type: 'string', format: 'binary' } }, 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        },
        206: { description: 'Part of the audio', type: 'null' }, 302: { description: 'Redirect to a presigned object URL', type: 'null' }, ...problemResponses(403, 404, 416) },
    },
    // A bad or missing query string is the same failure as a bad signature: say nothing more.
    attachValidation: true,
    handler: async (request, reply) => {
      const invalid = () => sendProblem(reply, 403, 'media_url_invalid', 'this media URL is invalid or has expired');
      if (request.validationError) return invalid();
      const dot = request.params.file.lastIndexOf('.');
      const redacted = request.params.file.slice(0, dot).endsWith('.redacted');
      const recordingId = request.params.file.slice(0, dot).replace(/\.redacted$/, '');
      const format = request.params.file.slice(dot + 1) as MediaFormat;
      const signedFormat = redacted ? `redacted.${format}` : format;
      if (!MEDIA_FORMATS.includes(format) || !deps.signer.verify({ recordingId, format: signedFormat, expires: request.query.expires, signature: request.query.signature })) {
        return invalid();
      }
      const recording = await deps.recordings.findByIdUnscoped(recordingId);
      const media = redacted ? await deps.redactedMedia?.(recordingId, format) : recording?.media[format];
      if (!recording || !media || !isDownloadable(recording, format)) return sendProblem(reply, 404, 'media_not_found', 'this recording or its media no longer exists');

      const fileName = `${recording.id}.${signedFormat}`;
      const store = redacted ? deps.stores.standard : deps.stores.of(recording.storageClass);
      if (deps.redirect && store.signedUrl) {
        const location = await store.signedUrl(media.key, { ttlSeconds: deps.presignTtlSeconds, contentType: CONTENT_TYPES[format], fileName });
        deps.onDownload?.(recording, format, 0, request.ip, request.headers.range, 'redirect');
        return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
      }

      // Sealed with the account's own key: served as stored (ciphertext); size, ETag and ranges are the stored bytes'.
      const sealed = await deps.sealedMedia?.(redacted ? 'standard' : recording.storageClass, media.key);
      const served = sealed
        ? { bytes: sealed.bytes, sha256: sealed.sha256, contentType: 'application/octet-stream', fileName: `${fileName}.enc`, open: sealed.open }
        : { bytes: media.bytes, sha256: media.sha256, contentType: CONTENT_TYPES[format], fileName, open: (r?: ByteRange) => store.get(media.key, r) };
      if (sealed) reply.header('telefonie-encryption', `${sealed.algorithm}; key-wrap=RSA-OAEP-SHA256`);
      return sendStored(request, reply, { ...served, noun: 'file' }, (length) => deps.onDownload?.(recording, format, length, request.ip, request.headers.range, 'proxy'));
    },
  });
}
