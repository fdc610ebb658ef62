import { describe, expect, it } from 'vitest';
import { StreamTokens } from '../../../src/ingest/ws/stream-token.js';

describe('stream tokens', () => {
  const tokens = new StreamTokens('secret-one-0123456789');
  const account = 'AC01a21e215cc49a223abf87ad91b8991f';

  it('grant their account until they expire', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const { token, expiresAt } = tokens.mint(account, 300, now);
    expect(expiresAt.toISOString()).toBe('2026-01-01T00:05:00.000Z');
    expect(tokens.verify(token, now)).toEqual({ accountId: account });
    expect(tokens.verify(token, now + 299_000)).toEqual({ accountId: account });
    expect(tokens.verify(token, now + 300_000)).toBeNull();
  });

  it('refuse any change, another secret, and nonsense', () => {
    const { token } = tokens.mint(account, 60);
    const [v, a, e, sig] = token.split('.');
    expect(tokens.verify([v, 'ACffffffffffffffffffffffffffffffff', e, sig].join('.'))).toBeNull();
    expect(tokens.verify([v, a, String(Number(e) + 1), sig].join('.'))).toBeNull();
    expect(tokens.verify([v, a, e, sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))].join('.'))).toBeNull();
    expect(tokens.verify(['st2', a, e, sig].join('.'))).toBeNull();
    expect(new StreamTokens('secret-two-0123456789').verify(token)).toBeNull();
    for (const junk of ['', 'st1', 'st1...', 'x'.repeat(500), undefined]) expect(tokens.verify(junk)).toBeNull();
  });

  it('keep verifying with a previous secret during rotation', () => {
    const { token } = tokens.mint(account, 60);
    expect(new StreamTokens('secret-two-0123456789', ['secret-one-0123456789']).verify(token)).toEqual({ accountId: account });
  });

  it('only mint lifetimes between 1 s and 1 h', () => {
    expect(() => tokens.mint(account, 0)).toThrow(RangeError);
    expect(() => tokens.mint(account, 3601)).toThrow(RangeError);
    expect(() => tokens.mint('bad id!', 60)).toThrow(RangeError);
  });
});
