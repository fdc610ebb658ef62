import { createHash } from 'node:crypto';

/** Something that happened to a recording or the account, and who did it. */
export interface AuditEntry {
  accountId: string | null;
  /** API key id, `signed-url`, `system` (jobs) or `cli`. */
  actor: string;
  /** What happened, e.g. `GET /v1/recordings/recordings/:recording_id` or `retention.delete`. */
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  /** Client address, when there was a client. */
  ip: string | null;
  details: Record<string, unknown>;
}

/** An entry as stored: numbered, timed, and chained to the one before it. */
export interface AuditEvent extends AuditEntry {
  seq: number;
  id: string;
  at: string;
  prevHash: string;
  hash: string;
}

/** The hash the chain starts from. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 over the previous hash and every field of the event in a fixed order, so
 * changing, removing or reordering any stored event breaks every hash after it.
 */
export function chainHash(prevHash: string, e: Omit<AuditEvent, 'hash' | 'prevHash'>): string {
  const canonical = JSON.stringify([e.seq, e.id, e.at, e.accountId, e.actor, e.action, e.resourceType, e.resourceId, e.ip, e.details]);
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex');
}
