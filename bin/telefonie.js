#!/usr/bin/env node
// The `telefonie` command runs the TypeScript sources directly through tsx, so a
// checkout works with `npx telefonie` and no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
