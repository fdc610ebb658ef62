import { randomFillSync } from 'node:crypto';

// Random bytes are drawn from the CSPRNG 4 KiB at a time: one call per 409 ids instead of
// one per id (ids are made on hot paths, e.g. an audit event per API read).
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * Makes an identifier like Twilio's SIDs: a two-letter prefix and 32 hex digits.
 * The first 12 hex digits are the creation time in ms, so ids sort by age and
 * B-tree inserts stay at the right edge of the index.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  return prefix + nowMs.toString(16).padStart(12, '0') + randomHex(10);
}

/** Id prefixes, one per entity, so an id says what it names. */
export const ID_PREFIX = {
  account: 'AC',
  apiKey: 'KY',
  recording: 'RE',
  call: 'CA',
  job: 'JB',
} as const;
