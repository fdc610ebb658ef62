import type { Kysely, Selectable } from 'kysely';
import type { Database, RecordingRulesTable } from './schema.js';
import type { RecordingRule, RecordingSettings } from '../../calls/recording-rule.js';
import type { RecordingRuleRepository } from '../../calls/recording-rule.repo.js';

function fromRow(row: Selectable<RecordingRulesTable>): RecordingRule {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    priority: row.priority,
    enabled: Boolean(row.enabled),
    match: JSON.parse(row.match),
    action: JSON.parse(row.action),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toRow(r: RecordingRule): Selectable<RecordingRulesTable> {
  return {
    id: r.id,
    account_id: r.accountId,
    name: r.name,
    priority: r.priority,
    enabled: r.enabled ? 1 : 0,
    match: JSON.stringify(r.match),
    action: JSON.stringify(r.action),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** RecordingRuleRepository on Kysely. */
export class KyselyRecordingRuleRepository implements RecordingRuleRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Channels for accounts that never chose (RECORDING_CHANNELS). */
    private readonly defaultChannels: 1 | 2,
  ) {}

  async insert(rule: RecordingRule): Promise<void> {
    await this.db.insertInto('recording_rules').values(toRow(rule)).execute();
  }

  async update(rule: RecordingRule): Promise<void> {
    const { id, account_id, ...values } = toRow(rule);
    await this.db.updateTable('recording_rules').set(values).where('id', '=', id).where('account_id', '=', account_id).execute();
  }

  async findById(accountId: string, id: string): Promise<RecordingRule | null> {
    const row = await this.db.selectFrom('recording_rules').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(accountId: string): Promise<RecordingRule[]> {
    const rows = await this.db.selectFrom('recording_rules').selectAll().where('account_id', '=', accountId).orderBy('priority').orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('recording_rules').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async getSettings(accountId: string): Promise<RecordingSettings> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['recording_default', 'recording_channels', 'recording_transcribe'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    return {
      default: row?.recording_default === 'none' ? 'none' : 'record',
      channels: row?.recording_channels === 1 || row?.recording_channels === 2 ? row.recording_channels : this.defaultChannels,
      transcribe: Boolean(row?.recording_transcribe),
    };
  }

  async setSettings(accountId: string, s: RecordingSettings): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({ recording_default: s.default, recording_channels: s.channels, recording_transcribe: s.transcribe ? 1 : 0 })
      .where('id', '=', accountId)
      .execute();
  }
}
