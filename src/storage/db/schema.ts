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
  /** null: unlimited. */
  quota_bytes: number | null;
  quota_minutes: number | null;
  /** PEM RSA public key the data keys of new media are wrapped under (encryption at rest); null: none. */
  encryption_public_key: string | null;
  encryption_key_set_at: string | null;
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
  /** standard | archive: which store holds the media. */
  storage_class: Generated<string>;
  /** Active legal holds covering this recording. */
  held: Generated<number>;
  /** JSON array of strings. */
  tags: string | null;
  media_deleted_at: string | null;
  /** archived | media_deleted: the state change is done, its follow-up not yet. */
  retention_pending: string | null;
  /** ok | corrupt | missing: the last integrity check (null: never checked). */
  integrity_status: string | null;
  integrity_checked_at: string | null;
  /** Which files failed and how. */
  integrity_detail: string | null;
}

export interface ExportsTable {
  id: string;
  account_id: string;
  /** queued | building | completed | failed */
  status: string;
  /** tar | zip */
  format: string;
  /** JSON ExportFilter. */
  filter: string;
  /** JSON ExportInclude. */
  include: string;
  total: number;
  done: number;
  bytes: number;
  error: string | null;
  blob_key: string | null;
  sha256: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

export interface RetentionPoliciesTable {
  id: string;
  account_id: string;
  name: string;
  priority: number;
  is_default: number;
  /** JSON PolicyMatch. */
  match: string;
  archive_after_days: number | null;
  delete_media_after_days: number | null;
  delete_after_days: number | null;
  created_at: string;
  updated_at: string;
}

export interface LegalHoldsTable {
  id: string;
  account_id: string;
  reason: string;
  /** JSON: what the hold was placed over. */
  filter: string;
  created_at: string;
  released_at: string | null;
}

export interface LegalHoldItemsTable {
  hold_id: string;
  recording_id: string;
}

export interface RetentionRunsTable {
  id: string;
  started_at: string;
  finished_at: string | null;
  archived: Generated<number>;
  media_deleted: Generated<number>;
  deleted: Generated<number>;
  errors: Generated<number>;
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

export interface WebhookEndpointsTable {
  id: string;
  account_id: string;
  url: string;
  /** JSON array of event types; null: every event. */
  events: string | null;
  /** HMAC key of the signatures; shown once (create, rotate), masked after. */
  secret: string;
  /** 1 | 0 */
  enabled: number;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  account_id: string;
  /** null: a recording's status callback. Not a foreign key: the log outlives the endpoint. */
  endpoint_id: string | null;
  target_url: string;
  event_id: string;
  event_type: string;
  /** The JSON body exactly as (last) sent and signed. */
  payload: string;
  /** pending | succeeded | failed */
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  /** Lease of the worker running an attempt. */
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface AccountWebhookSecretsTable {
  account_id: string;
  /** Signs the account's status callbacks. */
  secret: string;
  created_at: string;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  at: string;
  account_id: string | null;
  actor: string;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  ip: string | null;
  /** JSON. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditChainHeadTable {
  id: number;
  last_seq: number;
  last_hash: string;
}

/** Encryption at rest: how to read one encrypted object (binary values as base64). */
export interface MediaEnvelopesTable {
  /** standard | archive */
  tier: string;
  blob_key: string;
  algorithm: string;
  chunk_size: number;
  nonce_prefix: string;
  /** Null once only the account's own key can unwrap the data key. */
  service_key_id: string | null;
  service_wrapped_key: string | null;
  customer_wrapped_key: string | null;
  customer_key_fingerprint: string | null;
  /** Null while the object is being written. */
  plaintext_bytes: number | null;
  plaintext_sha256: string | null;
  ciphertext_bytes: number | null;
  ciphertext_sha256: string | null;
  created_at: string;
  updated_at: string;
}

/** One transcript per recording (deleted with it). */
export interface TranscriptsTable {
  id: string;
  recording_id: string;
  account_id: string;
  /** queued | in-progress | completed | failed */
  status: string;
  engine: string;
  language: string | null;
  /** Segments joined by newlines (redacted when asked); what full-text search indexes. */
  text: string | null;
  /** JSON arrays / objects. */
  segments: string;
  options: string;
  redactions: string;
  redacted_wav_key: string | null;
  redacted_wav_bytes: number | null;
  redacted_wav_sha256: string | null;
  redacted_mp3_key: string | null;
  redacted_mp3_bytes: number | null;
  redacted_mp3_sha256: string | null;
  error_code: string | null;
  error_message: string | null;
  date_created: string;
  date_updated: string;
}

/** Per-account redaction defaults; NULL columns fall back to the server configuration. */
export interface TranscriptionSettingsTable {
  account_id: string;
  redact: number | null;
  redact_audio: number | null;
}

export interface Database {
  transcripts: TranscriptsTable;
  transcription_settings: TranscriptionSettingsTable;
  audit_events: AuditEventsTable;
  audit_chain_head: AuditChainHeadTable;
  retention_policies: RetentionPoliciesTable;
  legal_holds: LegalHoldsTable;
  legal_hold_items: LegalHoldItemsTable;
  retention_runs: RetentionRunsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  account_webhook_secrets: AccountWebhookSecretsTable;
  recording_rules: RecordingRulesTable;
  sip_trunks: SipTrunksTable;
  calls: CallsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  recordings: RecordingsTable;
  jobs: JobsTable;
  exports: ExportsTable;
  media_envelopes: MediaEnvelopesTable;
}
