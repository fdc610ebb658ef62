import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Account, AccountRepository, ApiKeyRecord } from '../../accounts/account.repo.js';

/** AccountRepository on Kysely. */
export class KyselyAccountRepository implements AccountRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertAccount(a: Account): Promise<void> {
    await this.db.insertInto('accounts').values({ id: a.id, name: a.name, created_at: a.createdAt.toISOString() }).execute();
  }

  async findAccount(id: string): Promise<Account | null> {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: new Date(row.created_at) } : null;
  }

  async insertKey(k: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ id: k.id, account_id: k.accountId, key_hash: k.keyHash, created_at: k.createdAt.toISOString(), revoked_at: null })
      .execute();
  }

  async findActiveKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).where('revoked_at', 'is', null).executeTakeFirst();
    return row
      ? { id: row.id, accountId: row.account_id, keyHash: row.key_hash, createdAt: new Date(row.created_at), revokedAt: null }
      : null;
  }

  async revokeKey(keyId: string, at: Date): Promise<string | null> {
    const row = await this.db.updateTable('api_keys').set({ revoked_at: at.toISOString() }).where('id', '=', keyId).where('revoked_at', 'is', null).returning('account_id').executeTakeFirst();
    return row?.account_id ?? null;
  }
}
