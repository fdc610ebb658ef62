import type { Clock } from '../clock.js';
import { ID_PREFIX, newId } from '../ids.js';
import type { Call, IngestType } from './call.js';
import type { CallRepository } from './call.repo.js';

/** What an ingest knows about a call when its media starts. */
export interface CallStart {
  accountId: string;
  callId: string;
  ingest: IngestType;
  trunkId?: string | null;
  from?: string | null;
  to?: string | null;
  direction?: string | null;
  details?: Record<string, unknown>;
}

/** Calls whose media reaches us, live and ended. */
export class CallsService {
  constructor(
    private readonly repo: CallRepository,
    private readonly clock: Clock,
  ) {}

  /** Registers a live call (or reopens the account's call with the same id). */
  open(start: CallStart): Promise<Call> {
    const now = this.clock.now();
    return this.repo.upsertLive({
      id: newId(ID_PREFIX.call, now.getTime()),
      accountId: start.accountId,
      callId: start.callId,
      ingest: start.ingest,
      status: 'in-progress',
      trunkId: start.trunkId ?? null,
      from: start.from ?? null,
      to: start.to ?? null,
      direction: start.direction ?? null,
      startedAt: now,
      endedAt: null,
      details: start.details ?? {},
    });
  }

  /** Marks a call ended if it is still marked live (after a crash of the process that held it). */
  async endIfLive(accountId: string, callId: string): Promise<void> {
    const call = await this.repo.findByCallId(accountId, callId);
    if (call?.status === 'in-progress') await this.repo.markEnded(call.id, this.clock.now());
  }

  /** Marks a call ended. */
  async end(call: Call): Promise<void> {
    await this.repo.markEnded(call.id, this.clock.now());
  }
}
