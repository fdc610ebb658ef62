#!/usr/bin/env node
// Starts the service (`npm start`): the TypeScript sources through tsx, after raising libuv's
// threadpool from 4 to 16 threads (see bin/telefonie.cjs for why this entry is CommonJS):
// flushing the spools of many live calls and sweeps removing many files queue behind it.
process.env.UV_THREADPOOL_SIZE ??= '16';
import('tsx/esm/api').then(({ register }) => {
  register();
  return import('../src/main.ts');
});
