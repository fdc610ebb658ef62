import { chainHash, GENESIS_HASH } from './audit-event.js';
import type { AuditRepository } from './audit.repo.js';

/** Outcome of checking the whole chain. */
export type ChainVerdict = { ok: true; events: number } | { ok: false; events: number; seq: number; reason: string };

/**
 * Walks the chain from the start: every event must follow the previous one by number,
 * name its hash as `prevHash`, and hash to what it stores. The first event that does not
 * is the first broken link (an edited event fails its own hash; a removed one leaves a
 * gap in the numbers; an inserted one breaks the link after it).
 */
export async function verifyAuditChain(repo: AuditRepository, batchSize = 5000): Promise<ChainVerdict> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const batch = await repo.batchAfter(expectedSeq - 1, batchSize);
    if (batch.length === 0) return { ok: true, events: count };
    for (const e of batch) {
      if (e.seq !== expectedSeq) return { ok: false, events: count, seq: expectedSeq, reason: `event ${expectedSeq} is missing (next stored is ${e.seq})` };
      if (e.prevHash !== prevHash) return { ok: false, events: count, seq: e.seq, reason: `event ${e.seq} does not link to event ${e.seq - 1}` };
      const { hash, prevHash: _prev, ...fields } = e;
      if (chainHash(prevHash, fields) !== hash) return { ok: false, events: count, seq: e.seq, reason: `event ${e.seq} was altered (its hash no longer matches)` };
      prevHash = hash;
      expectedSeq++;
      count++;
    }
  }
}
