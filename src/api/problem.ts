import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, type ErrorKind } from '../errors.js';
import { isDatabaseUnavailable } from '../storage/db/db-errors.js';

/** The one place domain error kinds become HTTP statuses. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Sends an RFC 9457 problem+json body with a stable `code`. */
export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://telefonie.dev/problems/${code}`, title: TITLES[status] ?? 'Error', status, code, detail, instance: reply.request.url.split('?')[0], ...extra });
}

/** Fastify's own error codes mapped to ours. */
const FASTIFY_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length'],
  FST_ERR_CTP_EMPTY_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type'],
};

/** Every error leaves as problem+json; unexpected ones are logged with their stack and shown as 500. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof DomainError) {
      return sendProblem(reply, STATUS_OF_KIND[err.kind], err.code, err.message, err.extra);
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const param = (first?.instancePath ?? '').replace(/^\//, '') || (first?.params as { missingProperty?: string })?.missingProperty || undefined;
      const detail = param ? `${where} parameter "${param}" ${first.message}` : `${where}: ${err.message}`;
      return sendProblem(reply, 400, `invalid_${where === 'querystring' ? 'query' : where}`, detail, param ? { parameter: param } : {});
    }
    const mapped = err.code ? FASTIFY_ERRORS[err.code] : undefined;
    if (mapped) return sendProblem(reply, mapped[0], mapped[1], err.message);
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err: err.message }, 'database unavailable');
      return sendProblem(reply.header('retry-after', '2'), 503, 'database_unavailable', 'the database is unreachable; retry shortly');
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, err.statusCode, 'invalid_request', err.message);
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 500, 'internal_error', 'an unexpected error occurred; it has been logged');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, 'route_not_found', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
