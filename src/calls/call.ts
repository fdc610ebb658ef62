/** How media of a call reaches us. */
export type IngestType = 'siprec' | 'stream';

export type CallStatus = 'in-progress' | 'completed';

/** A live or ended call whose media reached us; recordings belong to it by `callId`. */
export interface Call {
  id: string;
  accountId: string;
  /** The identifier users see (Recording.call_id); see README "Call ids". */
  callId: string;
  ingest: IngestType;
  status: CallStatus;
  trunkId: string | null;
  from: string | null;
  to: string | null;
  direction: string | null;
  startedAt: Date;
  endedAt: Date | null;
  details: Record<string, unknown>;
}
