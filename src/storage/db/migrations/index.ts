import type { Migration } from 'kysely';
import * as m001 from './001-initial.js';
import * as m002 from './002-live-calls.js';
import * as m004 from './004-recording-rules.js';

/**
 * Every migration, in order. Names sort lexically and are never renamed: the
 * database records which names it has applied.
 */
export const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '002-live-calls': m002,
  '004-recording-rules': m004,
};
