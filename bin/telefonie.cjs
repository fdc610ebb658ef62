#!/usr/bin/env node
// The `telefonie` command runs the TypeScript sources directly through tsx, so a checkout
// works with `npx telefonie` and no build step. CommonJS on purpose: libuv sizes its
// threadpool (all file I/O goes through it) on first use, and loading an ES module already
// uses it, so only a CommonJS entry can raise the default of 4 threads first.
process.env.UV_THREADPOOL_SIZE ??= '16';
import('tsx/esm/api').then(({ register }) => {
  register();
  return import('../src/cli/main.ts');
});
