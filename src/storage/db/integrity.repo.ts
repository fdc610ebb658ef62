import { sql, type Kysely } from 'kysely';
import type { IntegrityRepository } from '../../compliance/integrity/integrity.repo.js';
import type { IntegrityStatus, Recording } from '../../recordings/recording.js';
import { recordingFromRow } from './recordings.repo.js';
import type { Database } from './schema.js';

/** IntegrityRepository on Kysely (SQLite and PostgreSQL). */
export class KyselyIntegrityRepository implements IntegrityRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private checkable() {
    return this.db
      .selectFrom('recordings')
      .where('status', '!=', 'in-progress')
      .where((eb) => eb.or([eb('wav_key', 'is not', null), eb('mp3_key', 'is not', null)]));
  }

  async checkableAfter(afterId: string, limit: number): Promise<Recording[]> {
    const rows = await this.checkable().selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(recordingFromRow);
  }

  async sampleIds(n: number): Promise<string[]> {
    // random() is the same function in SQLite and PostgreSQL; one scan of ids, keeping the top n.
    const rows = await this.checkable().select('id').orderBy(sql`random()`).limit(n).execute();
    return rows.map((r) => r.id);
  }

  async byIds(ids: string[]): Promise<Recording[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('recordings').selectAll().where('id', 'in', ids).execute();
    return rows.map(recordingFromRow);
  }

  async record(id: string, status: IntegrityStatus, checkedAt: Date, detail: string | null): Promise<{ newlyFailed: boolean }> {
    const values = { integrity_status: status, integrity_checked_at: checkedAt.toISOString(), integrity_detail: detail };
    if (status === 'ok') {
      await this.db.updateTable('recordings').set(values).where('id', '=', id).execute();
      return { newlyFailed: false };
    }
    const changed = await this.db
      .updateTable('recordings')
      .set(values)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('integrity_status', 'is', null), eb('integrity_status', '!=', status)]))
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) > 0) return { newlyFailed: true };
    await this.db.updateTable('recordings').set({ integrity_checked_at: values.integrity_checked_at, integrity_detail: detail }).where('id', '=', id).execute();
    return { newlyFailed: false };
  }

  async failureCounts(): Promise<{ corrupt: number; missing: number }> {
    const rows = await this.db
      .selectFrom('recordings')
      .select(['integrity_status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('integrity_status', 'in', ['corrupt', 'missing'])
      .groupBy('integrity_status')
      .execute();
    const out = { corrupt: 0, missing: 0 };
    for (const row of rows) out[row.integrity_status as 'corrupt' | 'missing'] = Number(row.n);
    return out;
  }
}
