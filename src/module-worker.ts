import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// A worker does not inherit the main thread's tsx hooks (registered by bin/server.cjs or the
// test runner): this CommonJS bootstrap registers them in the worker before importing the
// TypeScript entry. A compiled (.js) entry is imported as it is.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

/** tsx's ESM registration API (its `import` export: the CommonJS one registers a wrong path). */
function tsxRegisterUrl(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = JSON.parse(fs.readFileSync(manifest, 'utf8')).exports['./esm/api'].import.default as string;
  return pathToFileURL(path.join(path.dirname(manifest), api)).href;
}

/** Starts `entry` (a module URL, `.ts` or `.js`) in a worker thread; `workerData.data` is `data`. */
export function startModuleWorker(entry: URL, data: unknown): Worker {
  const tsx = entry.pathname.endsWith('.ts') ? tsxRegisterUrl() : undefined;
  return new Worker(BOOTSTRAP, { eval: true, workerData: { entry: entry.href, tsx, data } });
}
