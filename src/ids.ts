import { randomBytes } from 'node:crypto';

/**
 * Makes an identifier like Twilio's SIDs: a two-letter prefix and 32 hex digits.
 * The first 12 hex digits are the creation time in ms, so ids sort by age and
 * B-tree inserts stay at the right edge of the index.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  return prefix + nowMs.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
}

/** Id prefixes, one per entity, so an id says what it names. */
export const ID_PREFIX = {
  account: 'AC',
  apiKey: 'KY',
  recording: 'RE',
  call: 'CA',
  job: 'JB',
} as const;
