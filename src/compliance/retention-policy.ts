import { globMatches } from '../calls/recording-rule.js';
import type { Recording } from '../recordings/recording.js';

/** Which recordings a policy governs; every condition given must hold. */
export interface PolicyMatch {
  source?: string;
  channels?: 1 | 2;
  /** All of these tags must be on the recording. */
  tags?: string[];
  /** The recording rule that started it. */
  ruleId?: string;
  /** Call metadata key → pattern (matched against the recording's call details). */
  metadata?: Record<string, string>;
}

export interface RetentionPolicy {
  id: string;
  accountId: string;
  name: string;
  /** Lower is considered first; the first matching policy governs a recording. */
  priority: number;
  /** The account default: governs recordings no other policy matches. At most one per account. */
  isDefault: boolean;
  match: PolicyMatch;
  archiveAfterDays: number | null;
  deleteMediaAfterDays: number | null;
  deleteAfterDays: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What retention would do to one recording now. */
export type RetentionAction = 'archive' | 'delete_media' | 'delete';

export interface PlannedAction {
  recordingId: string;
  action: RetentionAction;
  policyId: string;
  /** When the action became due. */
  dueAt: Date;
}

const DAY_MS = 86_400_000;

/** True when the policy's conditions hold for the recording (the default policy matches everything). */
export function policyMatches(policy: RetentionPolicy, r: Recording): boolean {
  const m = policy.match;
  if (m.source && r.source !== m.source) return false;
  if (m.channels && r.channels !== m.channels) return false;
  if (m.ruleId && r.details.ruleId !== m.ruleId) return false;
  if (m.tags && !m.tags.every((t) => r.tags.includes(t))) return false;
  for (const [key, pattern] of Object.entries(m.metadata ?? {})) {
    const value = (r.details as Record<string, unknown>)[key];
    if (!globMatches(pattern, value === undefined ? undefined : String(value))) return false;
  }
  return true;
}

/** The policy governing a recording: first non-default match by priority, else the default. */
export function governingPolicy(policies: RetentionPolicy[], r: Recording): RetentionPolicy | undefined {
  return policies.find((p) => !p.isDefault && policyMatches(p, r)) ?? policies.find((p) => p.isDefault);
}

/**
 * The most final action due now, if any: deleting the recording beats deleting its media,
 * which beats archiving. Held recordings and ones still being recorded get nothing.
 */
export function planAction(policy: RetentionPolicy, r: Recording, now: Date): PlannedAction | null {
  if (r.legalHold || r.status === 'in-progress') return null;
  const age = now.getTime() - r.dateCreated.getTime();
  const due = (days: number | null) => days !== null && age >= days * DAY_MS;
  const at = (days: number) => new Date(r.dateCreated.getTime() + days * DAY_MS);
  const hasMedia = Object.keys(r.media).length > 0;
  if (due(policy.deleteAfterDays)) return { recordingId: r.id, action: 'delete', policyId: policy.id, dueAt: at(policy.deleteAfterDays!) };
  if (due(policy.deleteMediaAfterDays) && hasMedia) return { recordingId: r.id, action: 'delete_media', policyId: policy.id, dueAt: at(policy.deleteMediaAfterDays!) };
  if (due(policy.archiveAfterDays) && hasMedia && r.storageClass === 'standard') {
    return { recordingId: r.id, action: 'archive', policyId: policy.id, dueAt: at(policy.archiveAfterDays!) };
  }
  return null;
}

/** The youngest age (days) at which any of these policies acts: recordings younger need no look. */
export function minimumAgeDays(policies: RetentionPolicy[]): number | null {
  const days = policies.flatMap((p) => [p.archiveAfterDays, p.deleteMediaAfterDays, p.deleteAfterDays]).filter((d): d is number => d !== null);
  return days.length ? Math.min(...days) : null;
}
