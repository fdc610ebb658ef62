import autocannon from 'autocannon';

/** Figures of one load run. */
export interface LoadResult {
  label: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** Drives `url` (or a rotating list of paths) with N connections for `seconds`, from this process. */
export async function load(label: string, opts: { url: string; paths?: string[]; headers?: Record<string, string>; connections: number; seconds: number }): Promise<LoadResult> {
  let i = 0;
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.headers,
    requests: opts.paths
      ? [
          {
            setupRequest: (req: any) => {
              req.path = opts.paths![i++ % opts.paths!.length];
              return req;
            },
          },
        ]
      : undefined,
  });
  return {
    label,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Prints results as an aligned table. */
export function printTable(rows: LoadResult[]): void {
  const head = ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'];
  const lines = rows.map((r) => [r.label, r.reqPerSec.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), String(r.errors), String(r.non2xx)]);
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}
