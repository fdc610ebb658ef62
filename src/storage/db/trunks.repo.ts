import type { Kysely, Selectable } from 'kysely';
import type { Database, SipTrunksTable } from './schema.js';
import type { SipTrunk } from '../../trunks/trunk.js';
import type { TrunkRepository } from '../../trunks/trunk.repo.js';

function fromRow(row: Selectable<SipTrunksTable>): SipTrunk {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    requestUriUser: row.request_uri_user,
    allowedSources: JSON.parse(row.allowed_sources),
    digest: row.auth_username ? { username: row.auth_username, password: row.auth_password ?? '' } : null,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toRow(t: SipTrunk): Selectable<SipTrunksTable> {
  return {
    id: t.id,
    account_id: t.accountId,
    name: t.name,
    request_uri_user: t.requestUriUser,
    allowed_sources: JSON.stringify(t.allowedSources),
    auth_username: t.digest?.username ?? null,
    auth_password: t.digest?.password ?? null,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

/** TrunkRepository on Kysely. */
export class KyselyTrunkRepository implements TrunkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(trunk: SipTrunk): Promise<void> {
    await this.db.insertInto('sip_trunks').values(toRow(trunk)).execute();
  }

  async update(trunk: SipTrunk): Promise<void> {
    const { id, account_id, ...values } = toRow(trunk);
    await this.db.updateTable('sip_trunks').set(values).where('id', '=', id).where('account_id', '=', account_id).execute();
  }

  async findById(accountId: string, id: string): Promise<SipTrunk | null> {
    const row = await this.db.selectFrom('sip_trunks').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async findByRequestUriUser(user: string): Promise<SipTrunk | null> {
    const row = await this.db.selectFrom('sip_trunks').selectAll().where('request_uri_user', '=', user).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(accountId: string): Promise<SipTrunk[]> {
    const rows = await this.db.selectFrom('sip_trunks').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(fromRow);
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('sip_trunks').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
