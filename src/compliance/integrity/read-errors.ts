/**
 * How a failed read of stored media is interpreted by integrity checks:
 * - `transient`: the storage could not be reached or refused us (network, timeouts, 5xx,
 *   throttling, permissions): says nothing about the file, so nothing is concluded;
 * - `sealed`: the file is encrypted with the customer's own key and the service cannot decrypt it;
 * - `corrupt`: anything else, notably encrypted media failing authentication (altered bytes)
 *   and disk I/O errors.
 */
export type ReadErrorKind = 'transient' | 'sealed' | 'corrupt';

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'EAGAIN',
  'EACCES',
  'EPERM',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Names of errors the encrypting store raises for media only the customer's key opens. */
const SEALED_ERRORS = new Set(['ServiceKeyReleasedError']);

/** Classifies an error thrown while reading stored media. */
export function classifyReadError(err: unknown): ReadErrorKind {
  const e = (err ?? {}) as { code?: string; name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (SEALED_ERRORS.has((err as object | null)?.constructor?.name ?? '') || SEALED_ERRORS.has(e.name ?? '')) return 'sealed';
  if (e.code && TRANSIENT_CODES.has(e.code)) return 'transient';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.$retryable) return 'transient';
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429 || status === 401 || status === 403)) return 'transient';
  return 'corrupt';
}
