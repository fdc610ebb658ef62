import type { Migration } from 'kysely';
import * as m001 from './001-initial.js';
import * as m002 from './002-live-calls.js';
import * as m003 from './003-webhooks.js';
import * as m004 from './004-recording-rules.js';
import * as m005 from './005-transcripts.js';
import * as m006 from './006-retention.js';
import * as m007 from './007-encryption.js';
import * as m008 from './008-integrity.js';
import * as m009 from './009-exports.js';
import * as m010 from './010-audit.js';
import * as m011 from './011-recording-change-notify.js';
import * as m012 from './012-audit-resource-by-era.js';
import * as m013 from './013-recording-insert-notify.js';

/**
 * Every migration, in order. Names sort lexically and are never renamed: the
 * database records which names it has applied.
 */
export const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '002-live-calls': m002,
  '003-webhooks': m003,
  '004-recording-rules': m004,
  '005-transcripts': m005,
  '006-retention': m006,
  '007-encryption': m007,
  '008-integrity': m008,
  '009-exports': m009,
  '010-audit': m010,
  '011-recording-change-notify': m011,
  '012-audit-resource-by-era': m012,
  '013-recording-insert-notify': m013,
};
