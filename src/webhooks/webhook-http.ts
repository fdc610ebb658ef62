/** What one HTTP attempt produced: a status (any, 2xx is success) or a transport error. */
export interface PostResult {
  statusCode: number | null;
  /** Null on 2xx; otherwise what went wrong, with the start of the response body. */
  error: string | null;
}

/** Sends one webhook request; injected so tests can stand in for the network. */
export type WebhookPoster = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<PostResult>;

/** Bytes of a failed response kept in the delivery log. */
const ERROR_BODY_BYTES = 256;

async function bodySnippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut off mid-way still leaves us the status code.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
}

function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs / 1000} s`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/**
 * POSTs with fetch: never follows redirects (a 3xx is a failed attempt, so a signed
 * body cannot be bounced elsewhere), and gives up after `timeoutMs` for the whole exchange.
 */
export const postWebhook: WebhookPoster = async (url, body, headers, timeoutMs) => {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return { statusCode: res.status, error: null };
    }
    const snippet = await bodySnippet(res);
    return { statusCode: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}` };
  } catch (err) {
    return { statusCode: null, error: describeError(err, timeoutMs) };
  }
};
