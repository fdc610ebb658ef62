import { describe, expect, it } from 'vitest';
import { governingPolicy, minimumAgeDays, planAction, type RetentionPolicy } from '../../../src/compliance/retention-policy.js';
import { NEW_RECORDING_STORAGE, type Recording } from '../../../src/recordings/recording.js';

const DAY = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');

function policy(p: Partial<RetentionPolicy>): RetentionPolicy {
  return { id: 'RP', accountId: 'A', name: 'p', priority: 10, isDefault: false, match: {}, archiveAfterDays: null, deleteMediaAfterDays: null, deleteAfterDays: null, createdAt: t0, updatedAt: t0, ...p };
}

function recording(p: Partial<Recording> = {}): Recording {
  return {
    id: 'RE1', accountId: 'A', callId: 'CA', status: 'completed', source: 'upload', channels: 2, sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null,
    dateCreated: t0, dateUpdated: t0, media: { wav: { key: 'k', bytes: 1, sha256: 'x' } }, details: {}, ...NEW_RECORDING_STORAGE, ...p,
  };
}

describe('retention planning', () => {
  const archive30delete90 = policy({ id: 'RPdef', isDefault: true, archiveAfterDays: 30, deleteAfterDays: 90 });

  it('does nothing before the first threshold, archives after it, deletes after the last', () => {
    expect(planAction(archive30delete90, recording(), new Date(t0.getTime() + 29 * DAY))).toBeNull();
    expect(planAction(archive30delete90, recording(), new Date(t0.getTime() + 30 * DAY))).toMatchObject({ action: 'archive', dueAt: new Date(t0.getTime() + 30 * DAY) });
    expect(planAction(archive30delete90, recording({ storageClass: 'archive' }), new Date(t0.getTime() + 60 * DAY))).toBeNull();
    expect(planAction(archive30delete90, recording({ storageClass: 'archive' }), new Date(t0.getTime() + 90 * DAY))).toMatchObject({ action: 'delete' });
  });

  it('deletes media once, keeps metadata, and never touches held or live recordings', () => {
    const mediaOnly = policy({ deleteMediaAfterDays: 7 });
    const later = new Date(t0.getTime() + 8 * DAY);
    expect(planAction(mediaOnly, recording(), later)).toMatchObject({ action: 'delete_media' });
    expect(planAction(mediaOnly, recording({ media: {} }), later)).toBeNull();
    expect(planAction(mediaOnly, recording({ legalHold: true }), later)).toBeNull();
    expect(planAction(mediaOnly, recording({ status: 'in-progress' }), later)).toBeNull();
  });

  it('picks the first matching policy by priority, else the default', () => {
    const vip = policy({ id: 'RPvip', priority: 5, match: { tags: ['vip'] }, deleteAfterDays: 3650 });
    const onDemand = policy({ id: 'RPod', priority: 7, match: { source: 'on-demand', channels: 1 }, deleteAfterDays: 1 });
    const policies = [vip, onDemand, archive30delete90];
    expect(governingPolicy(policies, recording({ tags: ['vip', 'x'] }))!.id).toBe('RPvip');
    expect(governingPolicy(policies, recording({ source: 'on-demand', channels: 1 }))!.id).toBe('RPod');
    expect(governingPolicy(policies, recording({ source: 'on-demand', channels: 2 }))!.id).toBe('RPdef');
    expect(governingPolicy([vip], recording())).toBeUndefined();
    expect(minimumAgeDays(policies)).toBe(1);
    expect(minimumAgeDays([])).toBeNull();
  });
});
