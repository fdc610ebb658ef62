import autocannon from 'autocannon';
import { statCpuTimes } from './proc-cpu.js';

const cpuSeconds = (statFile: string) => statCpuTimes(statFile).total;

/** Figures of one load run. */
export interface LoadResult {
  label: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** Server CPU per request, all threads and the main thread: steadier than req/s on a shared host. */
  cpuUsPerRequest?: number;
  mainThreadUsPerRequest?: number;
}

/**
 * Drives `url` (or a rotating list of paths) with N connections for `seconds`, from this
 * process; with `serverPid`, also measures the CPU the server spent per request. With
 * `until`, the run ends when that promise settles (or after `seconds`, whichever is first),
 * so its percentiles cover exactly the requests made while something else ran.
 */
export async function load(
  label: string,
  opts: { url: string; paths?: string[]; headers?: Record<string, string>; connections: number; seconds: number; serverPid?: number; until?: Promise<unknown> },
): Promise<LoadResult> {
  let i = 0;
  const statFiles = opts.serverPid ? [`/proc/${opts.serverPid}/stat`, `/proc/${opts.serverPid}/task/${opts.serverPid}/stat`] : [];
  const cpuBefore = statFiles.map(cpuSeconds);
  const run = autocannon({
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
  const stop = () => (run as unknown as { stop(): void }).stop();
  opts.until?.then(stop, stop);
  const result = await run;
  const [total, main] = statFiles.map((f, k) => {
    const before = cpuBefore[k];
    const after = cpuSeconds(f);
    return Number.isNaN(before) || Number.isNaN(after) || !result.requests.total ? undefined : ((after - before) * 1e6) / result.requests.total;
  });
  return {
    label,
    cpuUsPerRequest: total,
    mainThreadUsPerRequest: main,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Prints results as an aligned table. */
export function printTable(rows: LoadResult[]): void {
  const withCpu = rows.some((r) => r.cpuUsPerRequest !== undefined);
  const head = ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', ...(withCpu ? ['server CPU µs/req', 'main thread µs/req'] : [])];
  const us = (v?: number) => (v === undefined ? '-' : v.toFixed(0));
  const lines = rows.map((r) => [
    r.label, r.reqPerSec.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), String(r.errors), String(r.non2xx),
    ...(withCpu ? [us(r.cpuUsPerRequest), us(r.mainThreadUsPerRequest)] : []),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}
