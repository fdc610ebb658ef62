import { describe, expect, it } from 'vitest';
import { parseCron } from '../../../src/jobs/cron.js';

describe('parseCron', () => {
  const at = (iso: string) => new Date(iso);
  it('finds the next matching minute (UTC)', () => {
    expect(parseCron('0 * * * *').next(at('2026-03-01T10:15:30Z')).toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(parseCron('*/15 * * * *').next(at('2026-03-01T10:15:00Z')).toISOString()).toBe('2026-03-01T10:30:00.000Z');
    expect(parseCron('30 2 * * 1').next(at('2026-03-01T10:00:00Z')).toISOString()).toBe('2026-03-02T02:30:00.000Z');
    expect(parseCron('0 0 1 1,7 *').next(at('2026-03-01T00:00:00Z')).toISOString()).toBe('2026-07-01T00:00:00.000Z');
    expect(parseCron('5-7 9 * * *').next(at('2026-03-01T09:06:00Z')).toISOString()).toBe('2026-03-01T09:07:00.000Z');
  });
  it.each(['* * * *', '60 * * * *', '*/0 * * * *', 'a * * * *', '5-3 * * * *'])('rejects %s', (expr) => {
    expect(() => parseCron(expr)).toThrow();
  });
});
