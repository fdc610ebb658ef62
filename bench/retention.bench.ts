// npm run bench:retention [-- --count 1000000 --due-percent 10 --connections 20]
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
import { startProcess, stopProcess } from './lib/spawn.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    'due-percent': { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
  },
});
const count = Number(values.count);
const duePercent = Number(values['due-percent']);
const connections = Number(values.connections);

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
const due = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM recordings WHERE date_created < ${iso(new Date(Date.now() - 30 * 86_400_000))}`.execute(handle.db)).rows[0].n);
await handle.close();
console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${due.toLocaleString()} recordings due`);

const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/telefonie.cjs', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.pipe(process.stderr);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout }));
  });

const apiPort = await freePort();
const api = await startProcess('bin/server.cjs', { ...env, PORT: String(apiPort), HOST: '127.0.0.1', ROLES: 'api' }, `http://127.0.0.1:${apiPort}/healthz`);
const results: LoadResult[] = [];
let sweepSeconds = 0;
let report: Record<string, number> = {};
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
  results.push(await load('GET /recordings/{id}, no sweep', { url: `http://127.0.0.1:${apiPort}`, paths, headers, connections, seconds: 10 }));
  // The sweep runs in its own process, as a worker would. One load run covers exactly the
  // sweep's lifetime, so its p99 is that of every request made while the sweep ran.
  const started = performance.now();
  const sweep = cli(['retention', 'sweep']);
  const during = await load('GET /recordings/{id}, during the sweep', { url: `http://127.0.0.1:${apiPort}`, paths, headers, connections, seconds: 3600, until: sweep });
  const out = await sweep;
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
console.log(`\nAPI p99 during the sweep: ${results[1].p99Ms.toFixed(1)} ms vs ${results[0].p99Ms.toFixed(1)} ms without (${(results[1].p99Ms / results[0].p99Ms).toFixed(2)}x; target <= 2x)`);
await database.drop();
fs.rmSync(dataDir, { recursive: true, force: true });
