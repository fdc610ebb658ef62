import { describe, expect, it } from 'vitest';
import { pageTotal } from '../../../src/storage/db/paging.js';

describe('pageTotal', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => i);
  const counting = () => {
    const calls: number[] = [];
    return { calls, count: async () => (calls.push(1), 42) };
  };

  it('a short page ends the result: no count query', async () => {
    for (const [page, n, total] of [[1, 0, 0], [1, 3, 3], [3, 7, 27]]) {
      const c = counting();
      expect(await pageTotal(rows(n), { page, size: 10 }, c.count)).toBe(total);
      expect(c.calls).toHaveLength(0);
    }
  });

  it('a full page, or an empty page past the first, asks count (the count may be a string or bigint)', async () => {
    for (const page of [{ rows: 10, page: 1 }, { rows: 10, page: 5 }, { rows: 0, page: 2 }]) {
      const c = counting();
      expect(await pageTotal(rows(page.rows), { page: page.page, size: 10 }, c.count)).toBe(42);
      expect(c.calls).toHaveLength(1);
    }
    expect(await pageTotal(rows(2), { page: 1, size: 2 }, async () => '7')).toBe(7);
    expect(await pageTotal(rows(2), { page: 1, size: 2 }, async () => 7n)).toBe(7);
  });
});
