// npm run bench:streams [-- --streams 250,500,1000,1500] [--seconds 60] [--ramp 25] [--verify all|N] [--no-baseline] [--profile]
//
// WebSocket media streams under load. For each N, a separate load process opens N
// Twilio-format streams (both tracks, 20 ms frames at real-time pace) for --seconds, first
// against a bare `ws` sink (the baseline: receives the same frames and only counts them),
// then against the service (ROLES=ingest, SQLite + local disk); every stream runs at least
// --seconds, all N at once for exactly that long. While every stream is
// sending, it samples each server's CPU and RSS; afterwards it checks the stored WAVs
// sample by sample against what was sent. It prints, per N, CPU and memory per stream
// beside the baseline, and the largest N with zero lost frames and correct audio.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/storage/db/database.js';
import { migrateToLatest } from '../src/storage/db/migrator.js';
import { KyselyAccountRepository } from '../src/storage/db/accounts.repo.js';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { systemClock } from '../src/clock.js';
import { freePort } from '../test/helpers/ports.js';
import { startNodeProcess, stopProcess } from './lib/spawn.js';
import { cpuSeconds, machineBusySeconds, statCpuTimes } from './lib/proc-cpu.js';
import { storedCount, verifyStep, type VerifyResult } from './lib/streams-verify.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '250,500,1000,1500' },
    seconds: { type: 'string', default: '60' },
    ramp: { type: 'string', default: '25' },
    verify: { type: 'string', default: 'all' },
    'no-baseline': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const steps = values.streams!.split(',').map(Number);
const seconds = Number(values.seconds);
const cpuTimes = (pid: number) => statCpuTimes(`/proc/${pid}/stat`);

/** Resident memory of a process, bytes. */
function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface LoadReport {
  streams: number;
  framesSent: number;
  framesPerTrack: number[];
  failures: number;
  errors: number;
  notClosed: number;
  serverClosedNormally: number;
  maxBacklogBytes: number;
  slipP99Ms: number;
  slipMaxMs: number;
}

interface Measured {
  target: string;
  n: number;
  cpuPercent: number;
  /** Kernel share of cpuPercent. */
  sysPercent: number;
  /** Busy CPU of the whole machine in the window (all processes, all cores; 200% = both cores busy). */
  machinePercent: number;
  rssBytes: number;
  loadCpuPercent: number;
  windowSeconds: number;
  load: LoadReport;
  eventLoopP99Ms?: number;
  eventLoopMaxMs?: number;
  /** V8 heap in use and memory outside it (Buffers, typed arrays) at the end of the window. */
  heapUsedBytes?: number;
  externalBytes?: number;
}

async function metricsOf(baseUrl: string): Promise<Record<string, number>> {
  let text: string;
  try {
    // A service too busy to answer /metrics within 5 s shows as missing figures, not a hang.
    text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(telefonie_process_nodejs_(?:eventloop_lag_(?:p99|max)_seconds|heap_size_used_bytes|external_memory_bytes)) ([\d.e+-]+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Runs one load process against `url` and measures the server `pid` while every stream is sending. */
async function measure(target: string, n: number, url: string, key: string, pid: number, tag: string, metricsUrl?: string): Promise<Measured> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/lib/streams-load.ts', '--url', url, '--key', key, '--streams', String(n), '--seconds', String(seconds), '--ramp', values.ramp!, '--tag', tag],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let window: { t0: number; cpu0: { total: number; system: number }; load0: number; machine0: number } | null = null;
  let result: Omit<Measured, 'load'> | null = null;
  const rss: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let errorsShown = 0;
  let report: LoadReport | null = null;
  for await (const line of createInterface({ input: child.stdout! })) {
    const msg = JSON.parse(line) as { event: string } & Record<string, any>;
    if (msg.event === 'error' && errorsShown++ < 3) console.log(`  load: ${msg.message}`);
    if (msg.event === 'ramped') {
      if (metricsUrl) await metricsOf(metricsUrl); // resets the event loop histogram
      window = { t0: performance.now(), cpu0: cpuTimes(pid), load0: cpuSeconds(child.pid!), machine0: machineBusySeconds() };
      sampler = setInterval(() => rss.push(rssBytes(pid)), 1000);
    }
    if (msg.event === 'draining' && window && !result) {
      clearInterval(sampler);
      const secs = (performance.now() - window.t0) / 1000;
      const cpu1 = cpuTimes(pid);
      const load1 = cpuSeconds(child.pid!);
      const machine1 = machineBusySeconds();
      const lag = metricsUrl ? await metricsOf(metricsUrl) : {};
      rss.sort((a, b) => a - b);
      result = {
        target,
        n,
        windowSeconds: secs,
        cpuPercent: ((cpu1.total - window.cpu0.total) / secs) * 100,
        sysPercent: ((cpu1.system - window.cpu0.system) / secs) * 100,
        machinePercent: ((machine1 - window.machine0) / secs) * 100,
        loadCpuPercent: ((load1 - window.load0) / secs) * 100,
        rssBytes: rss[Math.floor(rss.length / 2)] ?? rssBytes(pid),
        eventLoopP99Ms: lag.telefonie_process_nodejs_eventloop_lag_p99_seconds !== undefined ? lag.telefonie_process_nodejs_eventloop_lag_p99_seconds * 1000 : undefined,
        eventLoopMaxMs: lag.telefonie_process_nodejs_eventloop_lag_max_seconds !== undefined ? lag.telefonie_process_nodejs_eventloop_lag_max_seconds * 1000 : undefined,
        heapUsedBytes: lag.telefonie_process_nodejs_heap_size_used_bytes,
        externalBytes: lag.telefonie_process_nodejs_external_memory_bytes,
      };
    }
    if (msg.event === 'done') report = msg as unknown as LoadReport;
  }
  clearInterval(sampler);
  if (!report || !result) throw new Error(`${target} with ${n} streams: the load process ended without figures`);
  return { ...result, load: report };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-bench-streams-'));
const dbFile = path.join(dataDir, 'bench.db');
const databaseUrl = `sqlite://${dbFile}`;
const handle = openDatabase(databaseUrl);
await migrateToLatest(handle.db);
const { accountId, apiKey } = await new AccountsService(new KyselyAccountRepository(handle.db), systemClock, 5).createAccount('bench');
await handle.close();

const sinkPort = await freePort();
const servicePort = await freePort();
const sink = values['no-baseline'] ? undefined : await startNodeProcess('bench/lib/streams-sink.ts', { PORT: String(sinkPort) }, `http://127.0.0.1:${sinkPort}/healthz`);
const service = await startNodeProcess(
  'bin/serve',
  {
    PORT: String(servicePort), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${servicePort}`, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ROLES: 'ingest', LOG_LEVEL: 'warn',
    MEDIA_URL_SECRET: 'bench-secret-0123456789abcdef', SIP_PORT: '0', SIP_HOST: '127.0.0.1',
  },
  `http://127.0.0.1:${servicePort}/healthz`,
  values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dataDir, 'profile')}`] : [],
  path.join(dataDir, 'service.log'),
);

/** Warnings the service logged since the last call, by kind (suppressed repeats included), and the slowest call opening. */
let logOffset = 0;
function serviceWarnings(): { kinds: Record<string, number>; slowestOpenMs: number } {
  const text = fs.readFileSync(path.join(dataDir, 'service.log'), 'utf8');
  const fresh = text.slice(logOffset);
  logOffset = text.length;
  const kinds: Record<string, number> = {};
  let slowestOpenMs = 0;
  for (const line of fresh.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; kind?: string; suppressed?: number; ms?: number; msg?: string };
      if ((entry.level ?? 0) < 40) continue;
      const kind = entry.kind ?? entry.msg ?? 'other';
      kinds[kind] = (kinds[kind] ?? 0) + 1 + (entry.suppressed ?? 0);
      if (entry.kind === 'slow-open' && (entry.ms ?? 0) > slowestOpenMs) slowestOpenMs = entry.ms ?? 0;
    } catch {
      // not a log line
    }
  }
  return { kinds, slowestOpenMs };
}
const serviceIdleRss = rssBytes(service.pid!);
const sinkIdleRss = sink ? rssBytes(sink.pid!) : 0;

const rows: Array<{ n: number; base?: Measured; svc: Measured; verify: VerifyResult; storeSeconds: number }> = [];
try {
  for (const n of steps) {
    console.log(`\n${n} streams, ${seconds} s each:`);
    let base: Measured | undefined;
    if (sink) {
      base = await measure('bare ws sink', n, `ws://127.0.0.1:${sinkPort}/v1/recordings/streams`, apiKey, sink.pid!, `sink${n}`);
      console.log(`  baseline: ${base.cpuPercent.toFixed(0)}% CPU (${base.sysPercent.toFixed(0)}% kernel; machine ${base.machinePercent.toFixed(0)}% of 200%), RSS ${(base.rssBytes / 2 ** 20).toFixed(0)} MiB, ${base.load.framesSent} frames sent, ${base.load.failures} failures`);
    }
    const tag = `svc${n}`;
    const svc = await measure('service', n, `ws://127.0.0.1:${servicePort}/v1/recordings/streams`, apiKey, service.pid!, tag, `http://127.0.0.1:${servicePort}`);
    console.log(`  service: ${svc.cpuPercent.toFixed(0)}% CPU (${svc.sysPercent.toFixed(0)}% kernel; machine ${svc.machinePercent.toFixed(0)}% of 200%), RSS ${(svc.rssBytes / 2 ** 20).toFixed(0)} MiB (V8 heap ${((svc.heapUsedBytes ?? 0) / 2 ** 20).toFixed(0)} MiB, external ${((svc.externalBytes ?? 0) / 2 ** 20).toFixed(0)} MiB), ${svc.load.framesSent} frames sent, ${svc.load.failures} failures, event loop p99 ${svc.eventLoopP99Ms?.toFixed(1)} ms, max ${svc.eventLoopMaxMs?.toFixed(0)} ms; sender backlog max ${(svc.load.maxBacklogBytes / 1024).toFixed(0)} KiB`);
    // Every call stores its WAV after its stop; wait for all of them.
    const t0 = performance.now();
    const deadline = Date.now() + 600_000;
    while (storedCount(dbFile, accountId, tag) < svc.load.streams && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const storeSeconds = (performance.now() - t0) / 1000;
    const all = Array.from({ length: n }, (_, i) => i);
    const sample = values.verify === 'all' ? all : all.filter((_, i) => i % Math.max(1, Math.floor(n / Number(values.verify))) === 0);
    const verify = verifyStep({ dbFile, mediaRoot: path.join(dataDir, 'media'), accountId, tag, indexes: sample, framesPerTrack: svc.load.framesPerTrack });
    console.log(`  stored in ${storeSeconds.toFixed(1)} s after the last stop; verified ${verify.checked}/${verify.streams} recordings: ${verify.goodFrames} frames exact, ${verify.badFrames} lost or wrong`);
    for (const p of verify.problems) console.log(`    ${p}`);
    const warnings = serviceWarnings();
    if (Object.keys(warnings.kinds).length) console.log(`  service warnings: ${JSON.stringify(warnings.kinds)}${warnings.slowestOpenMs ? `; slowest call opening ${warnings.slowestOpenMs} ms` : ''}`);
    rows.push({ n, base, svc, verify, storeSeconds });
  }
} finally {
  await stopProcess(service);
  if (sink) await stopProcess(sink);
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const kib = (b: number) => (b / 1024).toFixed(0);
console.log(`\nWebSocket media streams (Twilio format, both tracks, 20 ms frames), ${seconds} s per step, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
console.log('CPU % is of one core, averaged over the window in which every stream was sending; RSS is the median over that window.');
console.log('Per-stream memory is (RSS - idle RSS of the fresh process) / N. machine CPU% is every process on the machine (of 200%): anything beyond service + load is other work sharing the cores.\n');
const header = ['N', 'sink CPU%', 'sink CPU%/stream', 'sink KiB/stream', 'service CPU%', 'service CPU%/stream', 'service KiB/stream', 'service RSS MiB', 'ev.loop p99 ms', 'load CPU%', 'machine CPU%', 'send slip p99 ms', 'frames sent', 'frames exact', 'lost/wrong', 'failures'];
const table = rows.map(({ n, base, svc, verify }) => [
  String(n),
  base ? base.cpuPercent.toFixed(1) : '-',
  base ? (base.cpuPercent / n).toFixed(4) : '-',
  base ? kib((base.rssBytes - sinkIdleRss) / n) : '-',
  svc.cpuPercent.toFixed(1),
  (svc.cpuPercent / n).toFixed(4),
  kib((svc.rssBytes - serviceIdleRss) / n),
  mib(svc.rssBytes),
  svc.eventLoopP99Ms?.toFixed(1) ?? '-',
  svc.loadCpuPercent.toFixed(0),
  svc.machinePercent.toFixed(0),
  svc.load.slipP99Ms.toFixed(1),
  String(svc.load.framesSent),
  String(verify.goodFrames),
  String(verify.badFrames),
  String(svc.load.failures + svc.load.notClosed),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
console.log(header.map((h, i) => h.padStart(widths[i])).join('  '));
for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));

const ok = rows.filter(
  (r) => r.verify.badFrames === 0 && r.verify.missingRecordings === 0 && r.svc.load.failures === 0 && r.svc.load.streams === r.n && (values.verify !== 'all' || r.verify.goodFrames === r.svc.load.framesSent),
);
const best = ok.length ? Math.max(...ok.map((r) => r.n)) : 0;
console.log(`\nLargest N with zero lost frames and correct audio: ${best || 'none'} (target >= 1000)${values.verify === 'all' ? '' : ` (audio checked on a sample of ${values.verify} streams per step)`}`);
if (values.profile) console.log(`CPU profile of the service: ${path.join(dataDir, 'profile')}`);
else fs.rmSync(dataDir, { recursive: true, force: true });
