import type { ByteRange } from '../storage/blob/blob-store.js';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import { filterView } from '../compliance/export/export-builder.js';
import type { ExportUrlSigner } from '../compliance/export/export-url-signer.js';
import type { RecordingExport } from '../compliance/export/export.js';
import type { ExportRepository } from '../compliance/export/export.repo.js';
import type { ExportsService } from '../compliance/export/exports.service.js';
import type { MediaStores } from '../storage/blob/media-stores.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { CreateExportBody, DownloadQuery, ExportIdParams, ExportListSchema, ExportSchema, ListExportsQuery, type ExportView } from './exports.schemas.js';
import { sendProblem } from './problem.js';
import { sendStored } from './send-stored.js';

export interface ExportRouteDeps {
  accounts: AccountsService;
  exports: ExportsService;
  signer: ExportUrlSigner;
}

export interface ExportDownloadRouteDeps {
  signer: ExportUrlSigner;
  repo: ExportRepository;
  stores: MediaStores;
  /** Redirect to the bucket's own presigned URL (when it has them) instead of streaming through us. */
  redirect: boolean;
  /** Lifetime of presigned bucket URLs we redirect to, in seconds. */
  presignTtlSeconds: number;
  /** Called for each served download (audit). */
  onDownload?: (exp: RecordingExport, bytes: number, ip: string, range: string | undefined, delivery: 'redirect' | 'proxy') => void;
}

function fileName(exp: RecordingExport): string {
  return `${exp.id}.${exp.format}`;
}

/** The API representation of an export, with a fresh signed download URL once completed. */
export function exportView(exp: RecordingExport, signer: ExportUrlSigner): ExportView {
  const out: ExportView = {
    id: exp.id,
    account_id: exp.accountId,
    status: exp.status,
    format: exp.format,
    filter: filterView(exp) as ExportView['filter'],
    include: exp.include,
    total: exp.total,
    done: exp.done,
    bytes: exp.bytes,
    file_name: fileName(exp),
    date_created: exp.createdAt.toISOString(),
    date_updated: exp.updatedAt.toISOString(),
  };
  if (exp.error) out.error = exp.error;
  if (exp.startedAt) out.date_started = exp.startedAt.toISOString();
  if (exp.completedAt) out.date_completed = exp.completedAt.toISOString();
  if (exp.status === 'completed') {
    if (exp.sha256) out.sha256 = exp.sha256;
    const { url, expiresAt } = signer.urlFor(exp.id);
    out.download_url = url;
    out.download_expires_at = expiresAt.toISOString();
  }
  return out;
}

/** `/exports`: request a bundle of recordings, follow its build, download and delete it. */
export async function exportsRoutes(app: FastifyInstance, deps: ExportRouteDeps): Promise<void> {
  requireApiKey(app, deps.accounts);
  app.addSchema(ExportSchema);
  const common = { tags: ['Exports'], security: [{ ApiKeyAuth: [] }] };
  type Params = { Params: Static<typeof ExportIdParams> };

  app.post<{ Body: Static<typeof CreateExportBody> }>(
    '/exports',
    {
      schema: {
        ...common,
        operationId: 'createExport',
        summary: 'Export recordings as a bundle',
        description:
          'Starts building a tar (or zip) bundle of the matching recordings: per recording its audio, metadata.json and transcript, plus manifest.json and MANIFEST.sha256 listing every file with its SHA-256. 202 with the export; follow it with GET /exports/{id} until `completed`, then download `download_url`.',
        body: CreateExportBody,
        response: { 202: Type.Ref(ExportSchema), ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const f = b.filter ?? {};
      const exp = await deps.exports.create(principalOf(request).accountId, {
        format: b.format,
        include: b.include,
        filter: {
          ...(f.recording_ids ? { recordingIds: f.recording_ids } : {}),
          ...(f.call_id !== undefined ? { callId: f.call_id } : {}),
          ...(f.status !== undefined ? { status: f.status } : {}),
          ...(f.source !== undefined ? { source: f.source } : {}),
          ...(f.date_created_after ? { createdAfter: new Date(f.date_created_after).toISOString() } : {}),
          ...(f.date_created_before ? { createdBefore: new Date(f.date_created_before).toISOString() } : {}),
        },
      });
      return reply.code(202).header('location', `/v1/recordings/exports/${exp.id}`).send(exportView(exp, deps.signer));
    },
  );

  app.get<{ Querystring: Static<typeof ListExportsQuery> }>(
    '/exports',
    { schema: { ...common, operationId: 'listExports', summary: 'List exports, newest first', querystring: ListExportsQuery, response: { 200: ExportListSchema, ...problemResponses(400, 401) } } },
    async (request) => {
      const page = request.query.page ?? 1;
      const size = request.query.page_size ?? 20;
      const { items, total } = await deps.exports.list(principalOf(request).accountId, { status: request.query.status }, { page, size });
      return { exports: items.map((e) => exportView(e, deps.signer)), total, page, page_size: size };
    },
  );

  app.get<Params>(
    '/exports/:export_id',
    { schema: { ...common, operationId: 'getExport', summary: 'An export and its progress; download_url once completed', params: ExportIdParams, response: { 200: Type.Ref(ExportSchema), ...problemResponses(401, 404) } } },
    async (request) => exportView(await deps.exports.get(principalOf(request).accountId, request.params.export_id), deps.signer),
  );

  app.delete<Params>(
    '/exports/:export_id',
    { schema: { ...common, operationId: 'deleteExport', summary: 'Delete an export and its bundle', params: ExportIdParams, response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(401, 404) } } },
    async (request, reply) => {
      await deps.exports.delete(principalOf(request).accountId, request.params.export_id);
      return reply.code(204).send();
    },
  );
}

/** The bundle download behind `download_url`: signed and expiring, no API key; HEAD, one byte range, ETag. */
export async function exportDownloadRoutes(app: FastifyInstance, deps: ExportDownloadRouteDeps): Promise<void> {
  app.route<{ Params: Static<typeof ExportIdParams>; Querystring: Static<typeof DownloadQuery> }>({
    method: ['GET', 'HEAD'],
    url: '/exports/:export_id/download',
    exposeHeadRoute: false,
    schema: {
      operationId: 'downloadExport',
      summary: 'Download an export bundle',
      description: 'The target of an export\'s `download_url`: signed and expiring, no API key. Supports HEAD, byte ranges (206/416) and ETag (the bundle\'s SHA-256).',
      tags: ['Exports'],
      security: [],
      params: ExportIdParams,
      querystring: DownloadQuery,
      response: {
        200: { description: 'The bundle', content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } }, 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
        206: { description: 'Part of the bundle', type: 'null' },
        302: { description: 'Redirect to a presigned object URL', type: 'null' },
        ...problemResponses(403, 404, 416),
      },
    },
    // A bad or missing query string is the same failure as a bad signature: say nothing more.
    attachValidation: true,
    handler: async (request, reply) => {
      const invalid = () => sendProblem(reply, 403, 'export_url_invalid', 'this download URL is invalid or has expired');
      if (request.validationError) return invalid();
      const id = request.params.export_id;
      if (!deps.signer.verify(id, request.query.expires, request.query.signature)) return invalid();
      const exp = await deps.repo.getUnscoped(id);
      if (!exp || exp.status !== 'completed' || !exp.blobKey || !exp.sha256) return sendProblem(reply, 404, 'export_not_found', 'this export or its bundle no longer exists');

      const contentType = exp.format === 'zip' ? 'application/zip' : 'application/x-tar';
      const store = deps.stores.standard;
      if (deps.redirect && store.signedUrl) {
        const location = await store.signedUrl(exp.blobKey, { ttlSeconds: deps.presignTtlSeconds, contentType, fileName: fileName(exp) });
        deps.onDownload?.(exp, 0, request.ip, request.headers.range, 'redirect');
        return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
      }
      const blobKey = exp.blobKey;
      const served = { bytes: exp.bytes, sha256: exp.sha256, contentType, fileName: fileName(exp), noun: 'bundle', open: (r?: ByteRange) => store.get(blobKey, r) };
      return sendStored(request, reply, served, (length) => deps.onDownload?.(exp, length, request.ip, request.headers.range, 'proxy'));
    },
  });
}
