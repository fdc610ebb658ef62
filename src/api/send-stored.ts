import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ByteRange } from '../storage/blob/blob-store.js';
import { decideRange } from './byte-range.js';
import { sendProblem } from './problem.js';

/** A stored object as a download serves it. */
export interface StoredDownload {
  bytes: number;
  sha256: string;
  contentType: string;
  fileName: string;
  /** What the object is, for the 416 message ("file", "bundle"). */
  noun: string;
  open: (range?: ByteRange) => Promise<NodeJS.ReadableStream>;
}

/**
 * Serves a stored object with an ETag (its SHA-256), conditional requests and one byte range
 * (RFC 9110): 200, 206, 304 or 416. `onServed` learns how many bytes a GET sent.
 */
export async function sendStored(request: FastifyRequest, reply: FastifyReply, served: StoredDownload, onServed: (length: number) => void): Promise<FastifyReply> {
  const etag = `"${served.sha256}"`;
  reply
    .header('accept-ranges', 'bytes')
    .header('etag', etag)
    .header('content-type', served.contentType)
    .header('content-disposition', `attachment; filename="${served.fileName}"`)
    .header('cache-control', 'private, max-age=0');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  const ifRange = request.headers['if-range'];
  const decision = ifRange && ifRange !== etag ? { kind: 'full' as const } : decideRange(request.headers.range, served.bytes);
  if (decision.kind === 'unsatisfiable') {
    return sendProblem(reply.header('content-range', `bytes */${served.bytes}`), 416, 'range_not_satisfiable', `the range is outside the ${served.bytes}-byte ${served.noun}`);
  }
  const range = decision.kind === 'partial' ? decision.range : undefined;
  const length = range ? range.end - range.start + 1 : served.bytes;
  reply.code(range ? 206 : 200).header('content-length', length);
  if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${served.bytes}`);
  if (request.method === 'HEAD') return reply.send();
  onServed(length);
  return reply.send(await served.open(range));
}
