/** An API key as stored: only its hash, never the key itself. */
export interface ApiKeyRecord {
  id: string;
  accountId: string;
  keyHash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface Account {
  id: string;
  name: string;
  createdAt: Date;
}

/** Persistence of accounts and their API keys. */
export interface AccountRepository {
  insertAccount(account: Account): Promise<void>;
  findAccount(id: string): Promise<Account | null>;
  insertKey(key: ApiKeyRecord): Promise<void>;
  /** The live (unrevoked) key with this hash, if any. */
  findActiveKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** Marks a key revoked; returns its account, or null when no such live key exists. */
  revokeKey(keyId: string, at: Date): Promise<string | null>;
}
