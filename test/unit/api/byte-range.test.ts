import { describe, expect, it } from 'vitest';
import { decideRange } from '../../../src/api/byte-range.js';

describe('decideRange', () => {
  it.each([
    [undefined, 1000, { kind: 'full' }],
    ['bytes=0-99', 1000, { kind: 'partial', range: { start: 0, end: 99 } }],
    ['bytes=900-', 1000, { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=900-5000', 1000, { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-100', 1000, { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-5000', 1000, { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['bytes=0-0,5-9', 1000, { kind: 'full' }],
    ['items=0-5', 1000, { kind: 'full' }],
    ['bytes=50-10', 1000, { kind: 'full' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
  ])('%s of %i bytes', (header, size, expected) => {
    expect(decideRange(header as string | undefined, size)).toEqual(expected);
  });
});
