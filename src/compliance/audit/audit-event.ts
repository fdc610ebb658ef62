import { sha256Hex } from '../../sha256.js';
import { newId } from '../../ids.js';

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
 * `detailsJson`, when the caller has it, is `JSON.stringify(e.details)`: the canonical
 * form is then built around it instead of serialising the details again.
 */
export function chainHash(prevHash: string, e: Omit<AuditEvent, 'hash' | 'prevHash'>, detailsJson?: string): string {
  const fields = [e.seq, e.id, e.at, e.accountId, e.actor, e.action, e.resourceType, e.resourceId, e.ip];
  // Same text as JSON.stringify([...fields, e.details]).
  const canonical = `${JSON.stringify(fields).slice(0, -1)},${detailsJson ?? JSON.stringify(e.details)}]`;
  return sha256Hex(`${prevHash}\n${canonical}`);
}

/**
 * Entries on their way to the chain, packed as one flat array: each entry's time (ms) and
 * fields in a row. Handing a batch to the writer thread copies it; a flat array of
 * primitives copies for ~1 µs an entry, entry objects with their id and time for ~8 µs
 * (bench:api reads audit one event per request). Ids and times are made when unpacked.
 */
export type PackedAuditEntries = unknown[];

/** Values per entry in a packed batch. */
export const PACKED_ENTRY_LENGTH = 8;

export function packEntry(batch: PackedAuditEntries, e: AuditEntry, nowMs: number): void {
  batch.push(nowMs, e.accountId, e.actor, e.action, e.resourceType, e.resourceId, e.ip, e.details);
}

export function unpackEntries(batch: PackedAuditEntries): Array<AuditEntry & { id: string; at: string }> {
  const entries: Array<AuditEntry & { id: string; at: string }> = [];
  for (let i = 0; i < batch.length; i += PACKED_ENTRY_LENGTH) {
    const now = batch[i] as number;
    entries.push({
      id: newId('AE', now),
      at: new Date(now).toISOString(),
      accountId: batch[i + 1] as string | null,
      actor: batch[i + 2] as string,
      action: batch[i + 3] as string,
      resourceType: batch[i + 4] as string | null,
      resourceId: batch[i + 5] as string | null,
      ip: batch[i + 6] as string | null,
      details: batch[i + 7] as Record<string, unknown>,
    });
  }
  return entries;
}
