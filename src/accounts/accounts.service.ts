import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../sha256.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { ID_PREFIX, newId } from '../ids.js';
import type { AccountRepository } from './account.repo.js';

/** Who is calling: the account a key belongs to, and the key (for audit). */
export interface Principal {
  accountId: string;
  keyId: string;
}

/** SHA-256 hex of a presented key. Keys carry 256 random bits, so no slow hash is needed. */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/**
 * Accounts and API keys. Lookups are cached for a few seconds so the hot path
 * does not hit the database on every request; revocation is immediate in this
 * process and within `cacheSeconds` in others (documented in the README).
 */
export class AccountsService {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly repo: AccountRepository,
    private readonly clock: Clock,
    private readonly cacheSeconds: number,
  ) {}

  /** Creates an account with its first key. */
  async createAccount(name: string): Promise<{ accountId: string; keyId: string; apiKey: string }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw new DomainError('invalid', 'invalid_account_name', 'account name must be 1 to 200 characters');
    const now = this.clock.now();
    const accountId = newId(ID_PREFIX.account, now.getTime());
    await this.repo.insertAccount({ id: accountId, name: trimmed, createdAt: now });
    const key = await this.createKey(accountId);
    return { accountId, ...key };
  }

  /** Issues a new key for an existing account; the key is shown once and stored only as a hash. */
  async createKey(accountId: string): Promise<{ keyId: string; apiKey: string }> {
    if (!(await this.repo.findAccount(accountId))) throw new DomainError('not_found', 'account_not_found', `no account ${accountId}`);
    const now = this.clock.now();
    const keyId = newId(ID_PREFIX.apiKey, now.getTime());
    // The key id is part of the key so an operator can tell which key to revoke from the key alone.
    const apiKey = `tr_${keyId}_${randomBytes(32).toString('base64url')}`;
    await this.repo.insertKey({ id: keyId, accountId, keyHash: hashApiKey(apiKey), createdAt: now, revokedAt: null });
    return { keyId, apiKey };
  }

  /** Revokes a key by id; returns the account it belonged to. */
  async revokeKey(keyId: string): Promise<string> {
    const accountId = await this.repo.revokeKey(keyId, this.clock.now());
    if (!accountId) throw new DomainError('not_found', 'api_key_not_found', `no active API key ${keyId}`);
    this.cache.clear();
    return accountId;
  }

  /**
   * The principal of a key looked up within the last `cacheSeconds` (null: unknown or
   * revoked), or undefined when only `authenticate` can tell. Synchronous, for the hook
   * every API request runs.
   */
  cachedPrincipal(apiKey: string): Principal | null | undefined {
    if (apiKey.length > 200) return null;
    return this.cachedByHash(hashApiKey(apiKey), Date.now());
  }

  private cachedByHash(hash: string, nowMs: number): Principal | null | undefined {
    const cached = this.cache.get(hash);
    return cached && cached.until > nowMs ? cached.principal : undefined;
  }

  /** Resolves a presented key to its principal, or null for a missing, unknown or revoked key. */
  async authenticate(apiKey: string | undefined): Promise<Principal | null> {
    if (!apiKey || apiKey.length > 200) return null;
    const hash = hashApiKey(apiKey);
    const nowMs = Date.now();
    const cached = this.cachedByHash(hash, nowMs);
    if (cached !== undefined) return cached;
    const record = await this.repo.findActiveKeyByHash(hash);
    const principal = record ? { accountId: record.accountId, keyId: record.id } : null;
    if (this.cacheSeconds > 0) {
      // Bound the cache so a flood of random keys cannot grow memory without limit.
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { principal, until: nowMs + this.cacheSeconds * 1000 });
    }
    return principal;
  }
}
