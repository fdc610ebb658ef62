// npm run bench:api [-- --db postgres] [--count N] [--connections 50] [--seconds 10] [--rounds 3] [--profile DIR]
// Prints req/s and latency of GET /recordings/{id} and GET /recordings?call_id=... beside a
// bare Fastify endpoint measured in the same run, and the MP3 encoding speed. The bare
// endpoint, by id and list run in turn, `rounds` times: on a shared host the machine's speed
// drifts within a minute, so each by-id run is judged against the bare run just before it,
// and the targets against the median round.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/storage/db/database.js';
import { migrateToLatest } from '../src/storage/db/migrator.js';
import { KyselyAccountRepository } from '../src/storage/db/accounts.repo.js';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { systemClock } from '../src/clock.js';
import { createTestDatabase } from '../test/helpers/backends.js';
import { freePort } from '../test/helpers/ports.js';
import { load, printTable, type LoadResult } from './lib/load.js';
import { seedRecordings } from './lib/seed-recordings.js';
import { startNodeProcess, startProcess, stopProcess } from './lib/spawn.js';
import { benchMp3Encode, printMp3Bench } from './mp3-encode.bench.js';
import { startS3rver } from './lib/s3-stream.js';
import { waitForQuietMachine } from './lib/proc-cpu.js';
import { median } from './lib/median.js';
import { measureStreaming, prepareStreamProbe, BENCH_SECRET, type StreamFigures } from './lib/stream-probe.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    count: { type: 'string' },
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    /** Writes a V8 CPU profile of the API process into this directory. */
    profile: { type: 'string' },
  },
});
const dialect = values.db === 'postgres' ? 'postgres' : 'sqlite';
const count = Number(values.count ?? (dialect === 'postgres' ? 1_000_000 : 100_000));
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-bench-'));
let databaseUrl = `sqlite://${path.join(dataDir, 'bench.db')}`;
let dropDatabase = async () => {};
if (dialect === 'postgres') {
  const created = await createTestDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  databaseUrl = created.url;
  dropDatabase = created.drop;
}

console.log(`seeding ${count.toLocaleString()} recordings in ${dialect}...`);
const handle = openDatabase(databaseUrl);
await migrateToLatest(handle.db);
const accounts = new AccountsService(new KyselyAccountRepository(handle.db), systemClock, 5);
const { accountId, apiKey } = await accounts.createAccount('bench');
const t0 = performance.now();
const { ids, callIds } = await seedRecordings(handle.db, dialect, accountId, count);
console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
// Vacuumed and analysed now, so autovacuum does not pick the freshly loaded table up (and take a core) mid-measurement.
if (dialect === 'postgres') await (await import('kysely')).sql`VACUUM ANALYZE recordings`.execute(handle.db);
await handle.close();

// At scale, media lives in a bucket (s3rver here) and is streamed through the service.
const s3 = dialect === 'postgres' ? await startS3rver() : undefined;
const streamProbe = s3 ? await prepareStreamProbe(databaseUrl, s3.storageUrl, accountId) : undefined;

const barePort = await freePort();
const apiPort = await freePort();
const bare = await startProcess('bench/lib/bare-server.ts', { PORT: String(barePort) }, `http://127.0.0.1:${barePort}/healthz`);
const api = await startNodeProcess(
  'bin/serve',
  {
    PORT: String(apiPort), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${apiPort}`, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ROLES: 'api', LOG_LEVEL: 'warn',
    MEDIA_URL_SECRET: BENCH_SECRET, ...(s3 ? { STORAGE_URL: s3.storageUrl, MEDIA_DELIVERY: 'proxy' } : {}),
  },
  `http://127.0.0.1:${apiPort}/healthz`,
  values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [],
);

// The calibration run: the bare endpoint doing this much synchronous work per request.
const busyUs = 30;
const results: LoadResult[] = [];
const roundsRun: Array<{ bare: LoadResult; byId: LoadResult; byCall: LoadResult }> = [];
let calibration: LoadResult | undefined;
let streamFigures: StreamFigures[] = [];
let quietAfterSeconds = 0;
try {
  const headers = { 'x-api-key': apiKey };
  // Warm both servers (JIT, caches) before measuring.
  const barePaths = ids.map((id) => `/bare/${id}`);
  await load('warm-up', { url: `http://127.0.0.1:${barePort}`, paths: barePaths, connections, seconds: 2 });
  await load('warm-up', { url: `http://127.0.0.1:${apiPort}`, paths: ids.map((id) => `/v1/recordings/recordings/${id}`), headers, connections, seconds: 3 });
  // Lists read their recordings through the recording cache: its first pass over the sampled
  // calls costs a second query per page, as on any server after a start; the runs measure the steady state.
  await load('warm-up', { url: `http://127.0.0.1:${apiPort}`, paths: callIds.map((c) => `/v1/recordings/recordings?call_id=${c}`), headers, connections, seconds: 2 });
  calibration = await load(`bare + ${busyUs} µs of synchronous work (calibration)`, { url: `http://127.0.0.1:${barePort}`, paths: ids.map((id) => `/bare-busy/${busyUs}/${id}`), connections, seconds, serverPid: bare.pid });
  results.push(calibration);
  for (let round = 1; round <= rounds; round++) {
    const tag = rounds > 1 ? ` (round ${round})` : '';
    const run = {
      bare: await load(`bare Fastify GET /bare/{id} (baseline)${tag}`, { url: `http://127.0.0.1:${barePort}`, paths: barePaths, connections, seconds, serverPid: bare.pid }),
      byId: await load(`GET /recordings/{id}${tag}`, { url: `http://127.0.0.1:${apiPort}`, paths: ids.map((id) => `/v1/recordings/recordings/${id}`), headers, connections, seconds, serverPid: api.pid }),
      byCall: await load(`GET /recordings?call_id=${tag}`, { url: `http://127.0.0.1:${apiPort}`, paths: callIds.map((c) => `/v1/recordings/recordings?call_id=${c}`), headers, connections, seconds, serverPid: api.pid }),
    };
    roundsRun.push(run);
    results.push(run.bare, run.byId, run.byCall);
  }
  // The load runs may leave work behind (the audit writer's backlog of read events, PostgreSQL
  // vacuuming the audit table) that would share the cores with the streams.
  quietAfterSeconds = await waitForQuietMachine();
  if (streamProbe) {
    streamFigures = await measureStreaming(streamProbe, `http://127.0.0.1:${apiPort}`, api.pid!);
  }
} finally {
  await stopProcess(api);
  await stopProcess(bare);
}

console.log(`\n${dialect}, ${count.toLocaleString()} recordings, ${connections} connections, ${seconds} s each, load generator in this process:\n`);
printTable(results);
const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
const each = (xs: number[], fmt: (x: number) => string) => (xs.length > 1 ? `${xs.map(fmt).join(', ')} in the ${xs.length} rounds, median ` : '');
const byIdShare = roundsRun.map((r) => r.byId.reqPerSec / r.bare.reqPerSec);
console.log(`\nGET /recordings/{id}: ${each(byIdShare, percent)}${percent(median(byIdShare))} of the bare endpoint's req/s (target ${dialect === 'postgres' ? '>= 40' : '>= 50'}%)`);
if (roundsRun.every((r) => r.byId.cpuUsPerRequest && r.bare.cpuUsPerRequest)) {
  // The load generator shares this host's cores, so req/s moves with everything else running; CPU per request far less.
  const cpu = (pick: (r: (typeof roundsRun)[number]) => LoadResult) => median(roundsRun.map((r) => pick(r).cpuUsPerRequest!));
  console.log(`GET /recordings/{id}: ${cpu((r) => r.byId).toFixed(0)} µs of server CPU per request against ${cpu((r) => r.bare).toFixed(0)} µs for the bare endpoint (medians; bare/by-id = ${percent(cpu((r) => r.bare) / cpu((r) => r.byId))})`);
}
console.log(`calibration: the bare endpoint with ${busyUs} µs of work per request runs at ${percent(calibration!.reqPerSec / roundsRun[0].bare.reqPerSec)} of its own req/s (round 1)`);
const listP99 = roundsRun.map((r) => r.byCall.p99Ms);
console.log(`GET /recordings?call_id=: p99 ${each(listP99, (x) => `${x.toFixed(0)} ms`)}${median(listP99).toFixed(2)} ms (target <= ${dialect === 'postgres' ? 20 : 10} ms)`);

console.log(`machine quiet ${quietAfterSeconds.toFixed(1)} s after the last load run`);
if (s3 && streamFigures.length === 1) console.log('\ncurl is not installed: streaming measured with Node\'s fetch only');
for (const f of streamFigures) {
  console.log(`\n60-minute 8 kHz stereo WAV (115 MB) from s3rver, ${f.client === 'curl' ? 'curl' : "Node's fetch"}, median of 7: direct from the bucket ${f.direct.toFixed(0)} MB/s, through the service ${f.service.toFixed(0)} MB/s = ${((f.service / f.direct) * 100).toFixed(0)}% (target >= 80%)`);
  console.log(`  each download, MB/s: direct ${f.directRuns.map((x) => x.toFixed(0)).join(' ')}; through the service ${f.serviceRuns.map((x) => x.toFixed(0)).join(' ')}; service CPU ${f.serviceCpuMs.toFixed(0)} ms a download (median)`);
}
await s3?.stop();

console.log('\nMP3 encoding of a 60-minute 8 kHz stereo upload:');
printMp3Bench(await benchMp3Encode(60));

await dropDatabase();
fs.rmSync(dataDir, { recursive: true, force: true });
