import type { Track } from '../recorder/recording-tap.js';
import type { Call, IngestType } from './call.js';

/** Conditions of a rule; every condition given must hold. Patterns use `*` (any run) and `?` (one character). */
export interface RuleMatch {
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  ingest?: IngestType;
  /** Call metadata (SIPREC extension data, stream custom parameters) key → pattern. */
  metadata?: Record<string, string>;
}

/** What a matching rule does. */
export interface RuleAction {
  record: boolean;
  channels?: 1 | 2;
  track?: Track;
  transcribe?: boolean;
}

export interface RecordingRule {
  id: string;
  accountId: string;
  name: string;
  /** Lower runs first. */
  priority: number;
  enabled: boolean;
  match: RuleMatch;
  action: RuleAction;
  createdAt: Date;
  updatedAt: Date;
}

/** An account's fallback when no rule matches. */
export interface RecordingSettings {
  default: 'record' | 'none';
  channels: 1 | 2;
  transcribe: boolean;
}

const patternCache = new Map<string, RegExp>();

/** Case-insensitive whole-string glob match. */
export function globMatches(pattern: string, value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    if (patternCache.size > 5000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re.test(value);
}

/** An address matches a pattern as a whole (`sip:+1555@host`) or by its user part (`+1555`). */
function addressMatches(pattern: string, address: string | null): boolean {
  if (!address) return false;
  if (globMatches(pattern, address)) return true;
  const user = /^(?:sips?:|tel:)?([^@;]+)/i.exec(address)?.[1];
  return user !== undefined && globMatches(pattern, user);
}

/** Value of a metadata key on a call: top-level details first, then stream custom parameters. */
function metadataValue(call: Call, key: string): string | undefined {
  const details = call.details as Record<string, unknown>;
  const custom = details.customParameters as Record<string, unknown> | undefined;
  const value = details[key] ?? custom?.[key];
  return value === undefined || value === null ? undefined : String(value);
}

/** True when every condition of the rule holds for the call. */
export function ruleMatches(rule: RecordingRule, call: Call): boolean {
  const m = rule.match;
  if (!rule.enabled) return false;
  if (m.direction && call.direction !== m.direction) return false;
  if (m.ingest && call.ingest !== m.ingest) return false;
  if (m.from && !addressMatches(m.from, call.from)) return false;
  if (m.to && !addressMatches(m.to, call.to)) return false;
  for (const [key, pattern] of Object.entries(m.metadata ?? {})) {
    if (!globMatches(pattern, metadataValue(call, key))) return false;
  }
  return true;
}
