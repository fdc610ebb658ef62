import { describe, expect, it } from 'vitest';
import { Pricing } from '../../../src/recordings/pricing.js';

describe('Pricing', () => {
  it('charges per started minute without float drift', () => {
    const p = new Pricing('0.0005', 'USD');
    expect(p.priceOf(0)).toBe('0.0000');
    expect(p.priceOf(1)).toBe('0.0005');
    expect(p.priceOf(60_000)).toBe('0.0005');
    expect(p.priceOf(60_001)).toBe('0.0010');
    expect(p.priceOf(3 * 3600_000)).toBe('0.0900');
    expect(new Pricing('0.1', 'EUR').priceOf(7 * 60_000)).toBe('0.7');
    expect(new Pricing('2', 'USD').priceOf(90_000)).toBe('4');
    expect(p.currency).toBe('USD');
  });
});
