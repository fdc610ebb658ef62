// npm run bench:retention [-- --count 1000000 --due-percent 10 --connections 20 --profile DIR]
// The retention sweep over N recordings in PostgreSQL of which a share is due for deletion:
// prints recordings processed per second, and the API's p99 latency while the sweep runs
// beside the p99 without it (same run, same API process).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/db/database.js';
import { migrateToLatest } from '../src/storage/db/migrator.js';
import { KyselyAccountRepository } from '../src/storage/db/accounts.repo.js';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { systemClock } from '../src/clock.js';
import { createTestDatabase } from '../test/helpers/backends.js';
import { freePort } from '../test/helpers/ports.js';
import { load, printTable, type LoadResult } from './lib/load.js';
import { seedRecordings } from './lib/seed-recordings.js';
import { startNodeProcess, stopProcess } from './lib/spawn.js';
import { commandCpuSeconds, cpuSeconds, machineBusySeconds } from './lib/proc-cpu.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    'due-percent': { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    /** Writes V8 CPU profiles of the sweep process and the API process into this directory. */
    profile: { type: 'string' },
  },
});
const count = Number(values.count);
const duePercent = Number(values['due-percent']);
const connections = Number(values.connections);
const profileArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-bench-retention-'));
const database = await createTestDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const env = {
  DATA_DIR: dataDir,
  DATABASE_URL: database.url,
  STORAGE_URL: `file://${path.join(dataDir, 'media')}`,
  MEDIA_URL_SECRET: 'bench-secret-0123456789',
  LOG_LEVEL: 'warn',
  SIP_PORT: '0',
};

console.log(`seeding ${count.toLocaleString()} recordings in PostgreSQL (${duePercent}% due)...`);
const handle = openDatabase(database.url);
await migrateToLatest(handle.db);
const { accountId, apiKey } = await new AccountsService(new KyselyAccountRepository(handle.db), systemClock, 5).createAccount('bench');
const t0 = performance.now();
const { ids } = await seedRecordings(handle.db, 'postgres', accountId, count);
// Every k-th recording is 100 days old (due under a 30-day policy); the rest are a day old.
const every = Math.round(100 / duePercent);
const iso = (d: Date) => d.toISOString();
await sql`UPDATE recordings SET date_created = CASE WHEN (('x' || right(id, 8))::bit(32)::int % ${every}) = 0 THEN ${iso(new Date(Date.now() - 100 * 86_400_000))} ELSE ${iso(new Date(Date.now() - 86_400_000))} END`.execute(handle.db);
await sql`ANALYZE recordings`.execute(handle.db);
const dueKeys = (await sql<{ wav_key: string; mp3_key: string }>`SELECT wav_key, mp3_key FROM recordings WHERE date_created < ${iso(new Date(Date.now() - 30 * 86_400_000))}`.execute(handle.db)).rows;
const due = dueKeys.length;
await handle.close();
// The due recordings' files exist, as they would in production, so the sweep pays for real
// removals (a missing file costs a different path: an error per file). 4 KiB placeholders
// stand in for the audio: 100,000 real recordings would need 120 GB of disk.
const placeholder = Buffer.alloc(4096);
const mediaFiles = dueKeys.flatMap((row) => [row.wav_key, row.mp3_key]).map((key) => path.join(dataDir, 'media', key));
for (const dir of new Set(mediaFiles.map((file) => path.dirname(file)))) fs.mkdirSync(dir, { recursive: true });
for (const file of mediaFiles) fs.writeFileSync(file, placeholder);
console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${due.toLocaleString()} recordings due`);

/**
 * Runs a `telefonie` command; `cpuSeconds` is its CPU time, last read just before it exited.
 * `onOutput` runs when it prints (its report: the work is done, its database sessions still open).
 */
const cli = (args: string[], onOutput?: () => void) =>
  new Promise<{ code: number; stdout: string; cpuSeconds: number }>((resolve) => {
    const child = spawn(process.execPath, [...profileArgs, 'bin/telefonie.cjs', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let cpu = 0;
    const sampler = setInterval(() => (cpu = cpuSeconds(child.pid!) || cpu), 100);
    child.stdout.on('data', (d) => {
      stdout += d;
      // The report is its last line: the work is done, the process is about to exit.
      cpu = cpuSeconds(child.pid!) || cpu;
      onOutput?.();
      onOutput = undefined;
    });
    child.stderr.pipe(process.stderr);
    child.on('exit', (code) => {
      clearInterval(sampler);
      resolve({ code: code ?? -1, stdout, cpuSeconds: cpu });
    });
  });

/** CPU seconds of the API process, PostgreSQL and this process (the load generator) over one measured window. */
const cpuWindow = (apiPid: number) => {
  const read = () => {
    const own = process.cpuUsage();
    return { api: cpuSeconds(apiPid), postgres: commandCpuSeconds('postgres'), load: (own.user + own.system) / 1e6, machine: machineBusySeconds() };
  };
  const before = read();
  return () => {
    const after = read();
    return { api: after.api - before.api, postgres: after.postgres - before.postgres, load: after.load - before.load, machine: after.machine - before.machine };
  };
};

const apiPort = await freePort();
const api = await startNodeProcess('bin/serve', { ...env, PORT: String(apiPort), HOST: '127.0.0.1', ROLES: 'api' }, `http://127.0.0.1:${apiPort}/healthz`, profileArgs);
const results: LoadResult[] = [];
let sweepSeconds = 0;
let report: Record<string, number> = {};
let sweepCpu = 0;
const windows: Array<{ seconds: number; cpu: { api: number; postgres: number; load: number; machine: number } }> = [];
try {
  const headers = { 'x-api-key': apiKey };
  // Read recordings the sweep keeps, so every answer is a 200 before and during the sweep.
  const reader = openDatabase(database.url);
  const kept = (await sql<{ id: string }>`SELECT id FROM recordings WHERE id = ANY(${ids}) AND date_created >= ${iso(new Date(Date.now() - 30 * 86_400_000))}`.execute(reader.db)).rows.map((r) => r.id);
  await reader.close();
  const paths = kept.map((id) => `/v1/recordings/recordings/${id}`);
  const policy = await fetch(`http://127.0.0.1:${apiPort}/v1/recordings/retention-policies`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ is_default: true, delete_after_days: 30 }),
  });
  if (policy.status !== 201) throw new Error(`policy: ${policy.status} ${await policy.text()}`);
  await load('warm-up', { url: `http://127.0.0.1:${apiPort}`, paths, headers, connections, seconds: 3 });
  let t = performance.now();
  let cpu = cpuWindow(api.pid!);
  results.push(await load('GET /recordings/{id}, no sweep', { url: `http://127.0.0.1:${apiPort}`, paths, headers, connections, seconds: 10 }));
  windows.push({ seconds: (performance.now() - t) / 1000, cpu: cpu() });
  // The sweep runs in its own process, as a worker would. One load run covers exactly the
  // sweep's lifetime, so its p99 is that of every request made while the sweep ran.
  const started = performance.now();
  t = started;
  cpu = cpuWindow(api.pid!);
  // Read before the sweep's PostgreSQL sessions end: an exited backend takes its CPU time with it.
  const sweep = cli(['retention', 'sweep'], () => windows.push({ seconds: (performance.now() - t) / 1000, cpu: cpu() }));
  const during = await load('GET /recordings/{id}, during the sweep', { url: `http://127.0.0.1:${apiPort}`, paths, headers, connections, seconds: 3600, until: sweep });
  const out = await sweep;
  sweepCpu = out.cpuSeconds;
  sweepSeconds = (performance.now() - started) / 1000;
  report = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}');
  results.push(during);
} finally {
  await stopProcess(api);
}

console.log(`\nretention sweep over ${count.toLocaleString()} recordings in PostgreSQL, ${due.toLocaleString()} due (delete after 30 days):`);
console.log(`  sweep report: ${JSON.stringify(report)}`);
const runSeconds = (report.durationMs ?? sweepSeconds * 1000) / 1000;
console.log(`  the sweep itself: ${runSeconds.toFixed(1)} s = ${((report.deleted ?? 0) / runSeconds).toFixed(0)} recordings processed (deleted) per second, ${((report.examined ?? 0) / runSeconds).toFixed(0)} examined per second (target >= 2,000 processed/s); ${sweepSeconds.toFixed(1)} s with process start-up\n`);
printTable(results);
// Where the two cores went: with the load generator beside the API, every core is busy in both
// windows, so what the sweep and PostgreSQL take is what the API loses. The rest of the
// machine's time is the kernel's own threads (the filesystem journal, loopback networking).
const share = (s: number, w: { seconds: number }) => `${((s / w.seconds) * 100).toFixed(0)}%`;
console.log(`\nCPU, % of one core:        API   PostgreSQL  load generator  sweep process  whole machine`);
const row = (label: string, w: (typeof windows)[number], sweepSeconds?: number) =>
  console.log(
    `  ${label.padEnd(20)} ${share(w.cpu.api, w).padStart(5)}  ${share(w.cpu.postgres, w).padStart(10)}  ${share(w.cpu.load, w).padStart(14)}  ${(sweepSeconds === undefined ? '-' : share(sweepSeconds, w)).padStart(13)}  ${share(w.cpu.machine, w).padStart(13)}`,
  );
row('no sweep:', windows[0]);
row('during the sweep:', windows[1], sweepCpu);
if (report.deleted) console.log(`  the sweep process: ${((sweepCpu * 1e6) / report.deleted).toFixed(0)} µs of CPU per deleted recording (its start-up included)`);
const filesLeft = mediaFiles.filter((file) => fs.existsSync(file)).length;
console.log(`\nmedia files of due recordings: ${mediaFiles.length.toLocaleString()} before the sweep, ${filesLeft.toLocaleString()} after`);
console.log(`\nAPI p99 during the sweep: ${results[1].p99Ms.toFixed(1)} ms vs ${results[0].p99Ms.toFixed(1)} ms without (${(results[1].p99Ms / results[0].p99Ms).toFixed(2)}x; target <= 2x)`);
await database.drop();
fs.rmSync(dataDir, { recursive: true, force: true });
