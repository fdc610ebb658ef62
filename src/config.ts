import path from 'node:path';
import { parseMasterKeys, type MasterKey } from './compliance/encryption/key-ring.js';

/** Roles a process can run; each process runs any subset. */
export type Role = 'api' | 'ingest' | 'worker';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  storageUrl: string;
  /** Base URL clients use to reach us; absolute media URLs are built from it. */
  publicUrl: string;
  /** Lifetime of signed media URLs, in seconds. */
  mediaUrlTtl: number;
  /** Current signing secret; undefined means "generate one and keep it in DATA_DIR". */
  mediaUrlSecret?: string;
  /** Secrets that still verify (not sign) during rotation. */
  mediaUrlPreviousSecrets: string[];
  mediaDefaultFormat: 'mp3' | 'wav';
  /** How S3-stored media is served: redirect to a presigned URL, or stream through us. */
  mediaDelivery: 'redirect' | 'proxy';
  /** Storage price per recorded minute, as a decimal string to avoid float drift. */
  pricePerMinute: string;
  priceCurrency: string;
  /** Largest accepted upload body, in bytes. */
  maxUploadBytes: number;
  roles: Role[];
  logLevel: string;
  /** pg connection pool size per process. */
  databasePoolSize: number;
  /** Seconds an API key lookup may be served from the in-process cache. */
  apiKeyCacheSeconds: number;
  /** Recordings kept in memory for by-id reads and media downloads (0: none). */
  recordingCacheSize: number;
  /** First webhook retry delay, in seconds; doubles per failed attempt up to an hour. */
  webhookRetryBaseSeconds: number;
  /** Speech-to-text: engine and redaction defaults (see transcriptionConfig). */
  transcription: TranscriptionConfig;
  /** SIPREC: SIP over UDP and TCP. */
  sipPort: number;
  sipHost: string;
  /** Address put in SDP answers and Contact; default: the address the INVITE arrived on. */
  sipAdvertisedAddress?: string;
  sipRealm: string;
  rtpPortMin: number;
  rtpPortMax: number;
  /** A live call whose media stops for this long ends (the recording keeps what arrived), seconds. */
  rtpTimeoutSeconds: number;
  /** The same while every stream is on hold, seconds. */
  rtpHoldTimeoutSeconds: number;
  /** Channels of live recordings: 2 = each party on its own channel, 1 = mono mix. */
  recordingChannels: 1 | 2;
  /** Where live audio is spooled before it is stored. */
  spoolDir: string;
  /** The archive tier: another directory, bucket or prefix. */
  archiveStorageUrl: string;
  /** When the retention sweep runs (5-field cron, UTC). */
  retentionSweepCron: string;
  /** Recordings the sweep acts on per batch. */
  retentionBatchSize: number;
  /** Share of a quota (percent) from which responses carry a warning header. */
  quotaWarningPercent: number;
  /** When workers re-read a random sample of stored media (5-field cron, UTC). */
  integrityVerifyCron: string;
  /** Recordings each scheduled integrity check re-reads. */
  integritySampleSize: number;
  /** WebSocket media streams: reorder window of timestamped (Twilio) streams, ms of stream time. */
  streamReorderMs: number;
  /** Base (ws:// or wss://) of the stream URLs handed out with stream tokens. */
  streamPublicUrl: string;
  /** Encryption at rest: on when master keys are configured. */
  encryption?: { masterKeys: MasterKey[]; activeKeyId: string };
}

/** Transcription settings. */
export interface TranscriptionConfig {
  engine: 'sphinx' | 'openai' | 'none';
  /** PocketSphinx decoder binary and model directory (Debian: pocketsphinx, pocketsphinx-en-us). */
  sphinxBin: string;
  sphinxModelDir: string;
  /** OpenAI-compatible `POST /v1/audio/transcriptions` server. */
  openaiUrl?: string;
  openaiModel: string;
  openaiApiKey?: string;
  /** Language hint for engines, e.g. "en"; empty lets the engine detect it. */
  language?: string;
  /** Redact transcripts of accounts that did not choose (and requests that do not say). */
  redactDefault: boolean;
  /** Also make redacted audio by default (implies redaction). */
  redactAudioDefault: boolean;
  /** What happens to the original audio once a redacted copy exists. */
  redactedAudio: 'keep-original' | 'remove-original';
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function transcriptionConfig(env: Env): TranscriptionConfig {
  const engine = oneOf(env, 'TRANSCRIPTION_ENGINE', ['sphinx', 'openai', 'none'] as const, 'sphinx');
  const openaiUrl = env.OPENAI_TRANSCRIPTION_URL || undefined;
  if (openaiUrl) urlVar(env, 'OPENAI_TRANSCRIPTION_URL', openaiUrl);
  if (engine === 'openai' && !openaiUrl) {
    throw new ConfigError('TRANSCRIPTION_ENGINE=openai needs OPENAI_TRANSCRIPTION_URL (e.g. https://api.openai.com/v1 or http://whisper:8080/v1)');
  }
  const language = env.TRANSCRIPTION_LANGUAGE ?? 'en';
  if (language && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(language)) throw new ConfigError(`TRANSCRIPTION_LANGUAGE must be a language code like en, got "${language}"`);
  return {
    engine,
    sphinxBin: env.SPHINX_BIN || 'pocketsphinx_continuous',
    sphinxModelDir: env.SPHINX_MODEL_DIR || '/usr/share/pocketsphinx/model/en-us',
    openaiUrl,
    openaiModel: env.OPENAI_TRANSCRIPTION_MODEL || 'whisper-1',
    openaiApiKey: env.OPENAI_TRANSCRIPTION_API_KEY || undefined,
    language: language || undefined,
    redactDefault: boolVar(env, 'REDACTION_DEFAULT', false),
    redactAudioDefault: boolVar(env, 'REDACTION_AUDIO_DEFAULT', false),
    redactedAudio: oneOf(env, 'REDACTED_AUDIO', ['keep-original', 'remove-original'] as const, 'keep-original'),
  };
}

/** A configuration problem found at boot; the message names the variable and the fix. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function urlVar(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${raw}"`);
  }
  return raw;
}

function parseRoles(raw: string | undefined): Role[] {
  const all: Role[] = ['api', 'ingest', 'worker'];
  if (!raw) return all;
  const roles = raw.split(',').map((r) => r.trim()).filter(Boolean);
  for (const role of roles) {
    if (!all.includes(role as Role)) throw new ConfigError(`ROLES may contain api, ingest, worker; got "${role}"`);
  }
  if (roles.length === 0) throw new ConfigError('ROLES must name at least one role');
  return roles as Role[];
}

function decimalVar(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(`${name} must be a non-negative decimal like 0.0005, got "${raw}"`);
  return raw;
}

function storageUrlVar(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback;
  if (!/^(file|s3):/.test(value)) throw new ConfigError(`${name} must start with file:// or s3://, got "${value}"`);
  return value;
}

function cronVar(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback;
  if (value.trim().split(/\s+/).length !== 5) throw new ConfigError(`${name} must be a 5-field cron expression (UTC), got "${value}"`);
  return value;
}

function sipConfig(env: Env, dataDir: string) {
  const rtpPortMin = intVar(env, 'RTP_PORT_MIN', 20000, 1024, 65534);
  const rtpPortMax = intVar(env, 'RTP_PORT_MAX', 40000, 1025, 65535);
  if (rtpPortMax - rtpPortMin < 2) throw new ConfigError(`RTP_PORT_MAX (${rtpPortMax}) must be at least RTP_PORT_MIN (${rtpPortMin}) + 2`);
  const advertised = env.SIP_ADVERTISED_ADDRESS || undefined;
  if (advertised && !/^[0-9a-fA-F:.]+$/.test(advertised)) throw new ConfigError(`SIP_ADVERTISED_ADDRESS must be an IP address, got "${advertised}"`);
  return {
    sipPort: intVar(env, 'SIP_PORT', 5060, 0, 65535),
    sipHost: env.SIP_HOST || '0.0.0.0',
    sipAdvertisedAddress: advertised,
    sipRealm: env.SIP_REALM || 'telefonie',
    rtpPortMin,
    rtpPortMax,
    rtpTimeoutSeconds: intVar(env, 'RTP_TIMEOUT', 60, 1, 86400),
    rtpHoldTimeoutSeconds: intVar(env, 'RTP_HOLD_TIMEOUT', 7200, 1, 7 * 86400),
    recordingChannels: Number(oneOf(env, 'RECORDING_CHANNELS', ['1', '2'] as const, '2')) as 1 | 2,
    spoolDir: path.resolve(env.SPOOL_DIR || path.join(dataDir, 'spool')),
  };
}

function streamConfig(env: Env, port: number) {
  const publicUrl = urlVar(env, 'PUBLIC_URL', `http://localhost:${port}`).replace(/\/+$/, '');
  const streamPublicUrl = urlVar(env, 'STREAM_PUBLIC_URL', publicUrl.replace(/^http/, 'ws')).replace(/\/+$/, '');
  if (!/^wss?:\/\//.test(streamPublicUrl)) throw new ConfigError(`STREAM_PUBLIC_URL must start with ws:// or wss://, got "${streamPublicUrl}"`);
  return { streamReorderMs: intVar(env, 'STREAM_REORDER_MS', 200, 0, 5000), streamPublicUrl };
}

function encryptionConfig(env: Env): Config['encryption'] {
  const raw = env.ENCRYPTION_MASTER_KEYS;
  const active = env.ENCRYPTION_ACTIVE_KEY_ID || undefined;
  if (!raw) {
    if (active) throw new ConfigError('ENCRYPTION_ACTIVE_KEY_ID is set but ENCRYPTION_MASTER_KEYS is not: give the keys as id:base64key (openssl rand -base64 32)');
    return undefined;
  }
  let masterKeys: MasterKey[];
  try {
    masterKeys = parseMasterKeys(raw);
  } catch (err) {
    throw new ConfigError(`ENCRYPTION_MASTER_KEYS: ${(err as Error).message}`);
  }
  if (!active && masterKeys.length > 1) throw new ConfigError('ENCRYPTION_ACTIVE_KEY_ID must name the key new data keys are wrapped under (several keys are configured)');
  const activeKeyId = active ?? masterKeys[0].id;
  if (!masterKeys.some((k) => k.id === activeKeyId)) throw new ConfigError(`ENCRYPTION_ACTIVE_KEY_ID "${activeKeyId}" is not one of the ids in ENCRYPTION_MASTER_KEYS`);
  return { masterKeys, activeKeyId };
}

/** Reads and validates the environment; throws ConfigError with a precise message. */
export function loadConfig(env: Env = process.env): Config {
  const port = intVar(env, 'PORT', 8080, 0, 65535);
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const secret = env.MEDIA_URL_SECRET;
  if (secret !== undefined && secret !== '' && secret.length < 16) {
    throw new ConfigError('MEDIA_URL_SECRET must be at least 16 characters');
  }
  const databaseUrl = env.DATABASE_URL || `sqlite://${path.join(dataDir, 'telefonie.db')}`;
  if (!/^(sqlite|postgres|postgresql):/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with sqlite:// or postgres://, got "${databaseUrl}"`);
  }
  const storageUrl = env.STORAGE_URL || `file://${path.join(dataDir, 'media')}`;
  if (!/^(file|s3):/.test(storageUrl)) {
    throw new ConfigError(`STORAGE_URL must start with file:// or s3://, got "${storageUrl}"`);
  }
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl,
    storageUrl,
    publicUrl: urlVar(env, 'PUBLIC_URL', `http://localhost:${port}`).replace(/\/+$/, ''),
    mediaUrlTtl: intVar(env, 'MEDIA_URL_TTL', 3600, 1, 7 * 24 * 3600),
    mediaUrlSecret: secret || undefined,
    mediaUrlPreviousSecrets: (env.MEDIA_URL_PREVIOUS_SECRETS || '').split(',').map((s) => s.trim()).filter(Boolean),
    mediaDefaultFormat: oneOf(env, 'MEDIA_DEFAULT_FORMAT', ['mp3', 'wav'] as const, 'mp3'),
    mediaDelivery: oneOf(env, 'MEDIA_DELIVERY', ['redirect', 'proxy'] as const, 'redirect'),
    pricePerMinute: decimalVar(env, 'PRICE_PER_MINUTE', '0.0005'),
    priceCurrency: (env.PRICE_CURRENCY || 'USD').toUpperCase(),
    maxUploadBytes: intVar(env, 'MAX_UPLOAD_BYTES', 512 * 1024 * 1024, 1024, 16 * 1024 ** 3),
    roles: parseRoles(env.ROLES),
    logLevel: oneOf(env, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
    databasePoolSize: intVar(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    apiKeyCacheSeconds: intVar(env, 'API_KEY_CACHE_SECONDS', 5, 0, 3600),
    recordingCacheSize: intVar(env, 'RECORDING_CACHE_SIZE', 20_000, 0, 10_000_000),
    webhookRetryBaseSeconds: intVar(env, 'WEBHOOK_RETRY_BASE_SECONDS', 30, 1, 3600),
    ...sipConfig(env, dataDir),
    transcription: transcriptionConfig(env),
    archiveStorageUrl: storageUrlVar(env, 'ARCHIVE_STORAGE_URL', `file://${path.join(dataDir, 'archive')}`),
    retentionSweepCron: cronVar(env, 'RETENTION_SWEEP_CRON', '0 * * * *'),
    retentionBatchSize: intVar(env, 'RETENTION_BATCH_SIZE', 500, 1, 100_000),
    quotaWarningPercent: intVar(env, 'QUOTA_WARNING_PERCENT', 80, 1, 100),
    integrityVerifyCron: cronVar(env, 'INTEGRITY_VERIFY_CRON', '30 3 * * *'),
    integritySampleSize: intVar(env, 'INTEGRITY_SAMPLE_SIZE', 100, 1, 1_000_000),
    ...streamConfig(env, port),
    encryption: encryptionConfig(env),
  };
}
