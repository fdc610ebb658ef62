#!/usr/bin/env node
// Starts the service (`npm start` runs it through bin/serve): the TypeScript sources through
// tsx, after raising libuv's threadpool from 4 to 16 threads (see bin/telefonie.cjs for why this
// entry is CommonJS): flushing the spools of many live calls and sweeps removing many files
// queue behind it.
process.env.UV_THREADPOOL_SIZE ??= '16';
// Let the old generation grow to twice its live size between full collections. V8 otherwise
// sizes that headroom from how fast the old generation grew lately, and starts the next full
// collection as soon as the headroom is smaller than the young generation. Streaming media
// promotes little but allocates a 64 KiB buffer per chunk: after a burst of API requests had
// grown the young generation to 16 MiB, a 44 MB heap got ~10 MB of headroom and was fully
// collected every 60-100 ms while a download streamed (42 full collections in eight 115 MB
// downloads, up to 770 ms of CPU each instead of ~100 ms; with this, 6). Read when V8 computes
// the limit, so setting it here takes effect; an unknown flag would be ignored.
require('node:v8').setFlagsFromString('--heap-growing-percent=100');
import('tsx/esm/api').then(({ register }) => {
  register();
  return import('../src/main.ts');
});
