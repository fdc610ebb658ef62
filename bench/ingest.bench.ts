// npm run bench:ingest [-- --calls 250,500,750,1000 --seconds 60 --rate 100 --baseline-seconds 20 --verify all --keep-going --profile]
//
// SIPREC ingest capacity. For each N in --calls (ascending) a separate load process
// (bench/lib/ingest-load.ts) places N concurrent SIPREC calls over loopback UDP against a
// fresh service process (SQLite + local disk, all roles), both streams of every call
// sending 20 ms G.711 µ-law packets, all N up together for --seconds (default 60). Then
// the calls end: by default (--teardown together) all media stops at once and the BYEs
// follow at --rate per second from --bye-delay ms later, so no call is still streaming
// while the service finalizes the others; --teardown paced stops the calls one after
// another instead (each BYE --bye-delay ms after its own last packet), which shows what
// finalize work does to calls still live. Once every recording is `completed` the stored
// WAVs are downloaded and checked sample-exactly against what was sent (all calls by
// default, --verify K for a sample): a lost packet is a 20 ms run of exact zeros, since
// the signal has none; misplaced or shifted audio counts as corrupt.
//
// Printed per N: packets sent / received / lost, whether the audio was correct, the
// service's CPU (% of one core, from /proc/<pid>/stat) and RSS per call during the steady
// state, the finalize time per call (BYE → `completed`, p50/p99) and the service CPU the
// finalize took per call. Beside it, the baseline: the same load process sending the
// identical packet stream to a trivial sink process that binds the same number of UDP
// sockets and only counts datagrams (the machine's raw loopback UDP capacity in Node).
// The ramp stops at the first N with loss or wrong audio (unless --keep-going).
//
// Whole-machine CPU and the load average are printed too: the machine has 2 cores and
// other processes may be using them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../test/helpers/ports.js';
import type { CallReport, LoadMessage, LoadRequest, LoadResult } from './lib/ingest-load.js';
import { loadAverage, nextMessage, processRssBytes, readStalls, Sampler, spawnTs, stopChild, summariseStalls, waitReady } from './lib/ingest-proc.js';
import { checkCallWav, type CallCheck } from './lib/ingest-verify.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '250,500,750,1000,1250,1500,1750,2000' },
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '100' },
    'baseline-seconds': { type: 'string' },
    'bye-delay': { type: 'string', default: '1000' },
    teardown: { type: 'string', default: 'together' },
    verify: { type: 'string', default: 'all' },
    'keep-going': { type: 'boolean', default: false },
    /** Appends the service's log (at info: one line per RTP stream at its end) to this file. */
    'service-log': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const ladder = values.calls.split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const baselineSeconds = Number(values['baseline-seconds'] ?? Math.min(seconds, 20));
const byeDelayMs = Number(values['bye-delay']);
const teardown = values.teardown === 'paced' ? 'paced' : 'together';
const verifyLimit = values.verify === 'all' ? Infinity : Number(values.verify);
const SECRET = 'bench-ingest-secret-0123456789';
// Below Linux's ephemeral range (32768-60999), where the load generator's own sockets live:
// an RTP port the service picks must not be taken by a client socket on the same host.
const RTP_PORT_MIN = 10000;
const RTP_PORT_MAX = 30000;

const MB = 1024 * 1024;

// Interrupted (Ctrl-C): stop the children this run started and remove its data.
const children = new Set<ChildProcess>();
const dataDirs = new Set<string>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping ${children.size} child processes`);
    void Promise.all([...children].map((c) => stopChild(c, 35_000))).then(() => {
      for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}
const fmtPct = (x: number) => `${x.toFixed(0)}%`;
const fmtMs = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(0)} s` : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** Runs one load process to completion, calling onPhase as the run passes its milestones. */
async function runLoad(request: LoadRequest, onStart: (load: ChildProcess) => void, onPhase: (phase: string, atMs: number, failed: number) => void): Promise<LoadResult> {
  const load = track(spawnTs('bench/lib/ingest-load.ts'));
  onStart(load);
  try {
    load.send({ cmd: 'run', request });
    const end = await nextMessage<LoadMessage>(
      load,
      (m) => m.type === 'done' || m.type === 'error',
      (m) => m.type === 'phase' && onPhase(m.phase, m.atMs, m.failed),
    );
    if (end.type === 'error') throw new Error(`load generator failed: ${end.message}`);
    return (end as Extract<LoadMessage, { type: 'done' }>).result;
  } finally {
    load.disconnect();
    await stopChild(load, 5000);
  }
}

interface BaselineFigures {
  sent: number;
  received: number;
  sinkCpu: number;
  loadCpu: number;
  machineBusy: number;
  /** CPU other processes on the machine used meanwhile, % of one core. */
  others: number;
  rcvbufErrors: number;
  lateP99Ms: number;
  lateMaxMs: number;
}

/** The same packet stream into a counting sink. */
async function baseline(n: number): Promise<BaselineFigures> {
  const sink = track(spawnTs('bench/lib/ingest-sink.ts'));
  try {
    sink.send({ cmd: 'bind', sockets: n * 2 });
    const { ports } = await nextMessage<{ ports: number[] }>(sink, (m) => m.type === 'bound');
    let sampler: Sampler | undefined;
    let allUp = 0;
    let steadyEnd = 0;
    const result = await runLoad(
      { target: 'sink', calls: n, seconds: baselineSeconds, rate, byeDelayMs, teardown, runId: `b${n}`, sinkPorts: ports },
      (load) => (sampler = new Sampler({ sink: sink.pid!, load: load.pid!, bench: process.pid })),
      (phase, at) => (phase === 'all-up' ? (allUp = at) : (steadyEnd = at)),
    );
    sampler!.stop();
    await new Promise((r) => setTimeout(r, 300)); // let the sink read what is still queued
    sink.send({ cmd: 'counts' });
    const { counts } = await nextMessage<{ counts: number[] }>(sink, (m) => m.type === 'counts');
    const w = sampler!.window(allUp, steadyEnd);
    const whole = sampler!.window(sampler!.samples[0].atMs, Date.now());
    return {
      sent: result.calls.reduce((a, c) => a + c.sent[0] + c.sent[1], 0),
      received: counts.reduce((a, b) => a + b, 0),
      sinkCpu: w.cpuPercent.sink,
      loadCpu: w.cpuPercent.load,
      machineBusy: w.machineBusyPercent,
      others: w.machineBusyPercent - w.cpuPercent.sink - w.cpuPercent.load - w.cpuPercent.bench,
      rcvbufErrors: whole.rcvbufErrors,
      lateP99Ms: result.lateP99Ms,
      lateMaxMs: result.lateMaxMs,
    };
  } finally {
    sink.disconnect();
    await stopChild(sink, 5000);
  }
}

interface ServiceFigures {
  n: number;
  up: number;
  setupFailures: string[];
  sent: number;
  lost: number;
  corrupt: number;
  verified: number;
  verifySeconds: number;
  /** Event-loop stalls of the service (>= 100 ms) from the first INVITE to the last BYE. */
  stallsMedia: ReturnType<typeof summariseStalls>;
  wrongCalls: number;
  firstProblem?: string;
  maxSkewMs: number;
  notCompleted: number;
  serviceCpu: number;
  /** The service's main thread alone (JS, the event loop): it saturates at 100%. */
  serviceMainCpu: number;
  loadCpu: number;
  machineBusy: number;
  others: number;
  rssIdle: number;
  rssPeak: number;
  rcvbufErrors: number;
  finalizeP50: number;
  finalizeP99: number;
  finalizeMax: number;
  finalizeCpuPerCallMs: number;
  setupP99: number;
  lateP99Ms: number;
  lateMaxMs: number;
  sipRetransmits: number;
  loadAvg: string;
}

async function api(base: string, key: string, p: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`${base}/v1/recordings${p}`, { ...init, headers: { 'x-api-key': key, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = await res.json();
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function countStatus(base: string, key: string, status: string): Promise<number> {
  return (await api(base, key, `/recordings?status=${status}&page_size=1`)).total;
}

async function listAll(base: string, key: string, total: number): Promise<any[]> {
  const out: any[] = [];
  for (let page = 1; out.length < total; page++) {
    const body = await api(base, key, `/recordings?page_size=100&page=${page}`);
    out.push(...body.recordings);
    if (body.recordings.length === 0) break;
  }
  return out;
}

/** Downloads and checks the WAVs of `calls`, a few at a time. */
async function verifyCalls(calls: Array<{ report: CallReport; wavUrl: string }>): Promise<Map<number, CallCheck>> {
  const results = new Map<number, CallCheck>();
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const { report, wavUrl } = calls[next++];
      const res = await fetch(wavUrl);
      if (res.status !== 200) {
        results.set(report.index, { channels: [] as any, skewMs: NaN, ok: false, problem: `WAV download ${res.status}` });
        continue;
      }
      results.set(report.index, checkCallWav(Buffer.from(await res.arrayBuffer()), report.index, report.sent));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return results;
}

async function serviceRun(n: number, profileDir: string | undefined): Promise<ServiceFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-ingest-bench-'));
  dataDirs.add(dataDir);
  const port = await freePort();
  const sipPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, DATA_DIR: dataDir, ROLES: 'api,ingest,worker', SIP_PORT: String(sipPort), SIP_HOST: '127.0.0.1',
    RTP_PORT_MIN: String(RTP_PORT_MIN), RTP_PORT_MAX: String(RTP_PORT_MAX), LOG_LEVEL: values['service-log'] ? 'info' : 'warn', MEDIA_URL_SECRET: SECRET,
  };
  const stallFile = path.join(dataDir, 'stalls.jsonl');
  const spawnedAt = Date.now();
  const service = track(spawnTs(
    'src/main.ts',
    // src/main.ts directly (to preload the stall probe), so the threadpool size bin/server.cjs sets is set here.
    { ...env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16', STALL_PROBE_FILE: stallFile, STALL_PROBE_MIN_MS: '100' },
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, `service-${n}-calls`)}`] : [],
    ['./bench/lib/ingest-stall-probe.ts'],
    values['service-log'] ? fs.openSync(values['service-log'], 'a') : 'ignore',
  ));
  try {
    await waitReady(service, `${base}/healthz`);
    const account = JSON.parse(execFileSync(process.execPath, ['bin/telefonie.cjs', 'accounts', 'create', 'bench'], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim().split('\n').pop()!);
    const key: string = account.api_key;
    await api(base, key, '/sip-trunks', { method: 'POST', body: JSON.stringify({ request_uri_user: 'bench', allowed_sources: ['127.0.0.0/8'] }) });
    await new Promise((r) => setTimeout(r, 1000));
    const rssIdle = processRssBytes(service.pid!);
    const loadAvg = loadAverage();

    let sampler: Sampler | undefined;
    let allUp = 0;
    let steadyEnd = 0;
    let inProgressAtAllUp = -1;
    const result = await runLoad(
      { target: 'service', calls: n, seconds, rate, byeDelayMs, teardown, runId: `r${Date.now().toString(36)}n${n}`, sip: { host: '127.0.0.1', port: sipPort, user: 'bench' } },
      (load) => (sampler = new Sampler({ service: service.pid!, 'service:main': service.pid!, load: load.pid!, bench: process.pid })),
      (phase, at) => {
        if (phase === 'all-up') {
          allUp = at;
          void countStatus(base, key, 'in-progress').then((c) => (inProgressAtAllUp = c), () => undefined);
        } else steadyEnd = at;
      },
    );
    if (profileDir) {
      // The steady state in seconds after the service started, for bench/lib/ingest-profile.ts.
      fs.mkdirSync(path.join(profileDir, `service-${n}-calls`), { recursive: true });
      fs.writeFileSync(path.join(profileDir, `service-${n}-calls`, 'window.json'), JSON.stringify({ fromS: (allUp - spawnedAt) / 1000, toS: (steadyEnd - spawnedAt) / 1000 }));
    }
    const lastBye = Math.max(0, ...result.calls.map((c) => c.byeAtMs));
    const firstBye = Math.min(...result.calls.filter((c) => c.byeAtMs > 0).map((c) => c.byeAtMs));
    // Wait for every recording to leave in-progress (WAV stored, MP3 made).
    const deadline = Date.now() + 300_000 + n * 2000;
    for (;;) {
      const left = await countStatus(base, key, 'in-progress');
      if (left === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const finalizedAt = Date.now();
    sampler!.stop();
    const steady = sampler!.window(allUp, steadyEnd);
    const media = sampler!.window(sampler!.samples[0].atMs, lastBye + 1000);
    const finalize = sampler!.window(firstBye, finalizedAt);

    const stalls = readStalls(stallFile);
    const firstInvite = sampler!.samples[0].atMs;
    const up = result.calls.filter((c) => c.inviteStatus === 200 && !c.error);
    const recordings = await listAll(base, key, n);
    const byCallId = new Map(recordings.map((r) => [r.call_id, r]));
    const finalizeMs: number[] = [];
    let notCompleted = 0;
    const toVerify: Array<{ report: CallReport; wavUrl: string }> = [];
    for (const c of up) {
      const rec = byCallId.get(c.sessionId);
      if (!rec || rec.status !== 'completed') {
        notCompleted++;
        continue;
      }
      finalizeMs.push(Date.parse(rec.date_updated) - c.byeAtMs);
      toVerify.push({ report: c, wavUrl: rec.media_urls.wav });
    }
    // A sample spread over the whole run when not verifying all.
    const step = Math.max(1, toVerify.length / Math.min(verifyLimit, toVerify.length));
    const chosen = Number.isFinite(verifyLimit) ? toVerify.filter((_, i) => Math.floor(i % step) === 0).slice(0, verifyLimit) : toVerify;
    const v0 = performance.now();
    const checks = await verifyCalls(chosen);
    const verifySeconds = (performance.now() - v0) / 1000;
    let lost = 0;
    let corrupt = 0;
    let wrongCalls = 0;
    let maxSkewMs = 0;
    let firstProblem: string | undefined;
    for (const [index, check] of checks) {
      if (check.channels.length) for (const ch of check.channels) { lost += ch.lost; corrupt += ch.corrupt; }
      if (Number.isFinite(check.skewMs)) maxSkewMs = Math.max(maxSkewMs, Math.abs(check.skewMs));
      if (!check.ok) {
        wrongCalls++;
        firstProblem ??= `call ${index}: ${check.problem}`;
      }
    }
    if (inProgressAtAllUp !== -1 && inProgressAtAllUp !== up.length) firstProblem ??= `${inProgressAtAllUp} recordings in progress once all ${up.length} calls were up`;
    return {
      n,
      up: up.length,
      setupFailures: result.calls.filter((c) => c.error).map((c) => `call ${c.index}: ${c.error}`),
      sent: chosen.reduce((a, c) => a + c.report.sent[0] + c.report.sent[1], 0),
      lost,
      corrupt,
      verified: checks.size,
      verifySeconds,
      stallsMedia: summariseStalls(stalls, firstInvite, lastBye),
      wrongCalls,
      firstProblem,
      maxSkewMs,
      notCompleted,
      serviceCpu: steady.cpuPercent.service,
      serviceMainCpu: steady.cpuPercent['service:main'],
      loadCpu: steady.cpuPercent.load,
      machineBusy: steady.machineBusyPercent,
      others: steady.machineBusyPercent - steady.cpuPercent.service - steady.cpuPercent.load - steady.cpuPercent.bench,
      rssIdle,
      rssPeak: steady.peakRss.service,
      rcvbufErrors: media.rcvbufErrors,
      finalizeP50: percentile(finalizeMs, 0.5),
      finalizeP99: percentile(finalizeMs, 0.99),
      finalizeMax: percentile(finalizeMs, 1),
      finalizeCpuPerCallMs: ((finalize.cpuPercent.service / 100) * finalize.seconds * 1000) / Math.max(1, up.length),
      setupP99: percentile(up.map((c) => c.setupMs), 0.99),
      lateP99Ms: result.lateP99Ms,
      lateMaxMs: result.lateMaxMs,
      sipRetransmits: result.sipRetransmits,
      loadAvg,
    };
  } finally {
    await stopChild(service);
    fs.rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  }
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(fmt(head));
  for (const r of rows) console.log(fmt(r));
}

const cores = os.cpus().length;
console.log(`SIPREC ingest benchmark: ${cores} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadAverage()}`);
console.log(`ladder ${ladder.join(', ')} calls; ${seconds} s with all calls up (baseline ${baselineSeconds} s); setup at ${rate} calls/s; teardown ${teardown === 'together' ? `together (all media stops at once, then BYEs at ${rate}/s from ${byeDelayMs} ms later)` : `paced (calls stop one after another at ${rate}/s, BYE ${byeDelayMs} ms after a call's last packet)`}`);
console.log(`each call: 2 streams x 50 packets/s of 172-byte RTP (PCMU); CPU figures are % of ONE core (the machine has ${cores * 100}%); verifying ${values.verify} calls' WAVs\n`);

const profileDir = values.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-ingest-prof-')) : undefined;
const rows: Array<{ b?: BaselineFigures; s: ServiceFigures; pass: boolean }> = [];
let best = 0;
for (const n of ladder) {
  console.log(`--- ${n} calls (${(n * 100).toLocaleString()} packets/s), load average ${loadAverage()}`);
  let b: BaselineFigures | undefined;
  if (!values['no-baseline']) {
    b = await baseline(n);
    console.log(
      `baseline sink: ${b.received.toLocaleString()}/${b.sent.toLocaleString()} datagrams received (${(b.sent - b.received).toLocaleString()} lost), sink CPU ${fmtPct(b.sinkCpu)}, load generator ${fmtPct(b.loadCpu)}, machine ${fmtPct(b.machineBusy)} (other processes ${fmtPct(b.others)}), kernel rcvbuf drops ${b.rcvbufErrors}, send lateness p99 ${b.lateP99Ms} ms max ${b.lateMaxMs.toFixed(0)} ms`,
    );
  }
  const s = await serviceRun(n, profileDir);
  const pass = s.up === n && s.lost === 0 && s.corrupt === 0 && s.wrongCalls === 0 && s.notCompleted === 0 && s.verified > 0 && !s.firstProblem;
  rows.push({ b, s, pass });
  console.log(
    `service: ${s.up}/${n} calls up (setup p99 ${fmtMs(s.setupP99)}, ${s.sipRetransmits} SIP retransmissions), verified ${s.verified} of ${s.up} WAVs in ${s.verifySeconds.toFixed(0)} s: ${(s.sent - s.lost).toLocaleString()}/${s.sent.toLocaleString()} packets received, ${s.lost} lost, ${s.corrupt} corrupt, ${s.wrongCalls} calls wrong, channel skew max ${s.maxSkewMs.toFixed(0)} ms, ${s.notCompleted} not completed`,
  );
  console.log(
    `  steady state: service CPU ${fmtPct(s.serviceCpu)} (${((s.serviceCpu * 10) / n).toFixed(2)} ms CPU per call-second), of which main thread ${fmtPct(s.serviceMainCpu)} (${((s.serviceMainCpu * 100) / n).toFixed(1)} µs per packet), load generator ${fmtPct(s.loadCpu)}, machine ${fmtPct(s.machineBusy)} (other processes ${fmtPct(s.others)}); RSS ${(s.rssIdle / MB).toFixed(0)} MB idle -> ${(s.rssPeak / MB).toFixed(0)} MB peak, (peak - idle) / N = ${((s.rssPeak - s.rssIdle) / n / 1024).toFixed(0)} KB per call; kernel rcvbuf drops ${s.rcvbufErrors}; send lateness p99 ${s.lateP99Ms} ms max ${s.lateMaxMs.toFixed(0)} ms`,
  );
  const st = s.stallsMedia;
  console.log(
    `  service event loop, first INVITE to last BYE: ${st.count} stalls >= 100 ms, longest ${fmtMs(st.maxMs)}, ${fmtMs(st.totalMs)} in all (main thread running ${fmtMs(st.runMs)}, waiting for a CPU ${fmtMs(st.waitMs)}, blocked ${fmtMs(st.blockedMs)})`,
  );
  console.log(`  finalize (BYE -> completed): p50 ${fmtMs(s.finalizeP50)}, p99 ${fmtMs(s.finalizeP99)}, max ${fmtMs(s.finalizeMax)}; service CPU ${fmtMs(s.finalizeCpuPerCallMs)} per call`);
  if (s.lateMaxMs > 500) {
    console.log(`  WARNING: the load generator itself sent packets up to ${fmtMs(s.lateMaxMs)} late (CPU starved); the service saw them that late too, so loss or shifted audio here is not only the service's`);
  }
  if (s.setupFailures.length) console.log(`  setup failures (${s.setupFailures.length}): ${s.setupFailures.slice(0, 3).join('; ')}`);
  if (s.firstProblem) console.log(`  first problem: ${s.firstProblem}`);
  console.log(`  => ${pass ? 'PASS: zero loss, audio exact' : 'FAIL'}\n`);
  if (pass) best = n;
  else if (!values['keep-going']) break;
}

console.log(`\nSummary (CPU = % of one core, steady state with all calls up; the machine has ${cores * 100}%; svc main = the service's main thread, which saturates at 100%):\n`);
table(
  ['calls', 'pkts/s', 'sink lost', 'sink CPU', 'svc sent', 'svc lost', 'audio', 'svc CPU', 'svc main', 'load CPU', 'others', 'max stall', 'RSS peak', 'RSS/call', 'fin p50', 'fin p99', 'fin CPU/call', 'load avg'],
  rows.map(({ b, s, pass }, i) => [
    String(s.n),
    (s.n * 100).toLocaleString(),
    b ? (b.sent - b.received).toLocaleString() : '-',
    b ? fmtPct(b.sinkCpu) : '-',
    s.sent.toLocaleString(),
    s.lost.toLocaleString(),
    pass ? 'exact' : s.wrongCalls ? `${s.wrongCalls} wrong` : 'FAIL',
    fmtPct(s.serviceCpu),
    fmtPct(s.serviceMainCpu),
    fmtPct(s.loadCpu),
    fmtPct(s.others),
    fmtMs(s.stallsMedia.maxMs),
    `${(s.rssPeak / MB).toFixed(0)} MB`,
    // Marginal memory per call: the peak's growth since the previous N (the idle figure of a
    // fresh process still holds start-up garbage, so (peak - idle) / N understates it).
    i === 0 ? '-' : `${((s.rssPeak - rows[i - 1].s.rssPeak) / (s.n - rows[i - 1].s.n) / 1024).toFixed(0)} KB`,
    fmtMs(s.finalizeP50),
    fmtMs(s.finalizeP99),
    fmtMs(s.finalizeCpuPerCallMs),
    s.loadAvg,
  ]),
);
console.log('(RSS/call: growth of the peak RSS since the previous N, per added call; sink lost / svc lost: datagrams / packets; others: CPU of other processes on the machine; max stall: longest service event-loop stall from first INVITE to last BYE)');
console.log(`\nLargest N with zero lost packets and exact audio: ${best || 'none'} (target >= 1,000 concurrent dual-channel calls)`);
if (profileDir) console.log(`service CPU profiles: ${profileDir}`);
