import { describe, expect, it } from 'vitest';
import { nextAttemptAt, retryDelaySeconds, RETRY_HORIZON_MS } from '../../../src/webhooks/retry-policy.js';

const HOUR = 3600_000;

describe('webhook retry schedule', () => {
  it('doubles from the base up to an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map((n) => retryDelaySeconds(n, 30))).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, 1))).toEqual([1, 2, 4, 8]);
    expect(retryDelaySeconds(5000, 30)).toBe(3600);
  });

  it('adds at most 10% jitter', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    expect(nextAttemptAt(created, created, 1, 30, () => 0)!.getTime() - created.getTime()).toBe(30_000);
    expect(nextAttemptAt(created, created, 1, 30, () => 0.999999)!.getTime() - created.getTime()).toBe(33_000);
    expect(nextAttemptAt(created, created, 10, 30, () => 0.5)!.getTime() - created.getTime()).toBe(3780_000);
  });

  it('keeps retrying for at least 24 hours after the event, then stops', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    expect(nextAttemptAt(created, new Date(created.getTime() + RETRY_HORIZON_MS - 1), 30, 30)).not.toBeNull();
    expect(nextAttemptAt(created, new Date(created.getTime() + RETRY_HORIZON_MS), 30, 30)).toBeNull();
  });

  it('a delivery that never succeeds: attempt times, count and last attempt with the default base', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const times = [created];
    for (;;) {
      const next = nextAttemptAt(created, times.at(-1)!, times.length, 30, () => 0);
      if (!next) break;
      times.push(next);
    }
    const offsets = times.map((t) => (t.getTime() - created.getTime()) / 1000);
    expect(offsets.slice(0, 9)).toEqual([0, 30, 90, 210, 450, 930, 1890, 3810, 7410]);
    const last = times.at(-1)!.getTime() - created.getTime();
    expect(last).toBeGreaterThanOrEqual(24 * HOUR);
    expect(last).toBeLessThan(25 * HOUR);
    // 8 attempts in the first 3810 s, then 23 hourly ones; the last starts at 86610 s (24 h 3.5 min).
    expect(times).toHaveLength(31);
    expect(offsets.at(-1)).toBe(86610);
  });
});
