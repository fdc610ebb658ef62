import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are ISO-8601 UTC strings with milliseconds
 * (`2026-11-27T17:08:53.123Z`) in both SQLite and PostgreSQL: they sort correctly as text,
 * so one query works on both dialects.
 */
export interface AccountsTable {
  id: string;
  name: string;
  created_at: string;
  /** record | none: what happens to a call no rule matches. */
  recording_default: Generated<string>;
  /** null: the server default (RECORDING_CHANNELS). */
  recording_channels: number | null;
  /** 0 | 1 */
  recording_transcribe: Generated<number>;
}

export interface RecordingRulesTable {
  id: string;
  account_id: string;
  name: string;
  /** Lower first; the first matching rule decides. */
  priority: number;
  enabled: number;
  /** JSON RuleMatch. */
  match: string;
  /** JSON RuleAction. */
  action: string;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  /** SHA-256 of the whole key, hex. Keys are 256-bit random, so a fast hash is enough. */
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export interface RecordingsTable {
  id: string;
  account_id: string;
  call_id: string;
  status: string;
  source: string;
  channels: number;
  sample_rate: number | null;
  /** Recorded length in milliseconds (the API shows whole seconds). */
  duration_ms: number;
  error_code: string | null;
  error_message: string | null;
  date_created: string;
  date_updated: string;
  wav_key: string | null;
  wav_bytes: number | null;
  wav_sha256: string | null;
  mp3_key: string | null;
  mp3_bytes: number | null;
  mp3_sha256: string | null;
  /** JSON text: free-form details (channel map, upload info) that are not filtered on. */
  details: string | null;
}

export interface JobsTable {
  id: string;
  name: string;
  payload: string;
  /** queued | active | completed | failed */
  state: string;
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_until: string | null;
  singleton_key: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface SipTrunksTable {
  id: string;
  account_id: string;
  name: string;
  request_uri_user: string;
  /** JSON array of addresses and CIDR ranges. */
  allowed_sources: string;
  auth_username: string | null;
  /** SIP digest needs the shared secret itself (not a one-way hash); never returned by the API. */
  auth_password: string | null;
  created_at: string;
  updated_at: string;
}

export interface CallsTable {
  id: string;
  account_id: string;
  /** The identifier users see and filter by (also Recording.call_id). */
  call_id: string;
  /** siprec | stream */
  ingest: string;
  /** in-progress | completed */
  status: string;
  trunk_id: string | null;
  from_uri: string | null;
  to_uri: string | null;
  direction: string | null;
  started_at: string;
  ended_at: string | null;
  /** JSON: participants, metadata identifiers, custom parameters. */
  details: string | null;
}

export interface Database {
  recording_rules: RecordingRulesTable;
  sip_trunks: SipTrunksTable;
  calls: CallsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  recordings: RecordingsTable;
  jobs: JobsTable;
}
