// Node socket errors and PostgreSQL SQLSTATEs that mean "the database is unreachable
// right now" (class 08 connection exceptions, 57P0x shutdown/starting), not "the query is wrong".
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const UNAVAILABLE_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /database is locked/i];

/** True when an error means the database cannot be reached (answer 503 and let the client retry). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (!e) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.message && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message!))) return true;
  // AggregateError from a connect attempt to several addresses (IPv4 + IPv6).
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable);
}
