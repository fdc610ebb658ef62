import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { MediaUrlSigner } from '../recordings/media-url-signer.js';
import { isDownloadable, MEDIA_FORMATS, type MediaFormat, type Recording } from '../recordings/recording.js';
import type { RecordingRepository } from '../recordings/recording.repo.js';
import type { BlobStore } from '../storage/blob/blob-store.js';
import { decideRange } from './byte-range.js';
import { problemResponses } from './common.schemas.js';
import { sendProblem } from './problem.js';

export interface MediaRouteDeps {
  signer: MediaUrlSigner;
  repo: RecordingRepository;
  blobs: BlobStore;
  /** Redirect to the bucket's own presigned URL (when it has them) instead of streaming through us. */
  redirect: boolean;
  /** Lifetime of presigned bucket URLs we redirect to, in seconds. */
  presignTtlSeconds: number;
  /** Called for each served download (metrics, audit). */
  onDownload?: (recording: Recording, format: MediaFormat, bytes: number) => void;
}

const CONTENT_TYPES: Record<MediaFormat, string> = { wav: 'audio/wav', mp3: 'audio/mpeg' };

const MediaParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9]{1,64}\\.(wav|mp3)$', description: 'recording id and format, e.g. RE....mp3' }) });
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
        200: { description: 'The audio', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } }, 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } } },
        206: { description: 'Part of the audio', type: 'null' }, 302: { description: 'Redirect to a presigned object URL', type: 'null' }, ...problemResponses(403, 404, 416) },
    },
    // A bad or missing query string is the same failure as a bad signature: say nothing more.
    attachValidation: true,
    handler: async (request, reply) => {
      const invalid = () => sendProblem(reply, 403, 'media_url_invalid', 'this media URL is invalid or has expired');
      if (request.validationError) return invalid();
      const dot = request.params.file.lastIndexOf('.');
      const recordingId = request.params.file.slice(0, dot);
      const format = request.params.file.slice(dot + 1) as MediaFormat;
      if (!MEDIA_FORMATS.includes(format) || !deps.signer.verify({ recordingId, format, expires: request.query.expires, signature: request.query.signature })) {
        return invalid();
      }
      const recording = await deps.repo.findByIdUnscoped(recordingId);
      const media = recording?.media[format];
      if (!recording || !media || !isDownloadable(recording, format)) return sendProblem(reply, 404, 'media_not_found', 'this recording or its media no longer exists');

      const fileName = `${recording.id}.${format}`;
      if (deps.redirect && deps.blobs.signedUrl) {
        const location = await deps.blobs.signedUrl(media.key, { ttlSeconds: deps.presignTtlSeconds, contentType: CONTENT_TYPES[format], fileName });
        deps.onDownload?.(recording, format, 0);
        return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
      }

      const etag = `"${media.sha256}"`;
      reply
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('content-type', CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .header('cache-control', 'private, max-age=0');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const ifRange = request.headers['if-range'];
      const decision = ifRange && ifRange !== etag ? { kind: 'full' as const } : decideRange(request.headers.range, media.bytes);
      if (decision.kind === 'unsatisfiable') {
        return sendProblem(reply.header('content-range', `bytes */${media.bytes}`), 416, 'range_not_satisfiable', `the range is outside the ${media.bytes}-byte file`);
      }
      const range = decision.kind === 'partial' ? decision.range : undefined;
      const length = range ? range.end - range.start + 1 : media.bytes;
      reply.code(range ? 206 : 200).header('content-length', length);
      if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${media.bytes}`);
      if (request.method === 'HEAD') return reply.send();
      deps.onDownload?.(recording, format, length);
      return reply.send(await deps.blobs.get(media.key, range));
    },
  });
}
