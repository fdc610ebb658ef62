import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH, type AuditEvent } from '../../../src/compliance/audit/audit-event.js';
import { verifyAuditChain } from '../../../src/compliance/audit/audit-verify.js';
import type { AuditRepository } from '../../../src/compliance/audit/audit.repo.js';

/** An in-memory chain of n events, built the way the repository builds it. */
function chain(n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields = { seq, id: `AE${seq}`, at: `2026-01-01T00:00:0${seq % 10}.000Z`, accountId: 'A', actor: 'KY1', action: 'GET /x', resourceType: 'recordings', resourceId: `RE${seq}`, ip: '10.0.0.1', details: { n: seq } };
    const hash = chainHash(prev, fields);
    events.push({ ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return events;
}

function repoOf(events: AuditEvent[]): AuditRepository {
  return {
    append: async () => {},
    list: async () => ({ items: [], total: 0 }),
    batchAfter: async (after, limit) => events.filter((e) => e.seq > after).sort((a, b) => a.seq - b.seq).slice(0, limit),
  };
}

describe('audit hash chain', () => {
  it('verifies an intact chain across batch boundaries', async () => {
    expect(await verifyAuditChain(repoOf(chain(25)), 7)).toEqual({ ok: true, events: 25 });
  });

  it('finds an edited field', async () => {
    const events = chain(10);
    events[4] = { ...events[4], details: { n: 999 } };
    expect(await verifyAuditChain(repoOf(events))).toMatchObject({ ok: false, seq: 5 });
  });

  it('finds a deleted event', async () => {
    const events = chain(10).filter((e) => e.seq !== 6);
    expect(await verifyAuditChain(repoOf(events))).toMatchObject({ ok: false, seq: 6, reason: expect.stringContaining('missing') });
  });

  it('finds a forged event whose hash was recomputed but no longer links', async () => {
    const events = chain(10);
    const forged = { ...events[2], actor: 'attacker' };
    forged.hash = chainHash(forged.prevHash, { ...forged, hash: undefined as never, prevHash: undefined as never });
    events[2] = forged;
    expect(await verifyAuditChain(repoOf(events))).toMatchObject({ ok: false, seq: 4 });
  });
});
