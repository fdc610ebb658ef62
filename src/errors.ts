/**
 * What kind of failure a domain error is; the API maps each kind to one HTTP status
 * (api/problem.ts), so services never speak HTTP.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'unavailable';

/** A failure with a stable machine-readable `code` and a message fit for the API client. */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Shorthand for the most common case. */
export function notFound(code: string, message: string): DomainError {
  return new DomainError('not_found', code, message);
}
