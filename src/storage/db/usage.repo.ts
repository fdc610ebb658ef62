import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { UsageRepository, UsageRow } from '../../compliance/usage.js';

/** UsageRepository on Kysely: aggregates straight from the recordings table. */
export class KyselyUsageRepository implements UsageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async rows(accountId: string, from: Date, to: Date): Promise<UsageRow[]> {
    // ISO timestamps: the first 10 characters are the UTC day on both dialects.
    const day = sql<string>`substr(date_created, 1, 10)`;
    const rows = await this.db
      .selectFrom('recordings')
      .select([
        day.as('day'),
        'status',
        'storage_class',
        (eb) => eb.fn.countAll<number>().as('recordings'),
        sql<number>`coalesce(sum(duration_ms), 0)`.as('duration_ms'),
        sql<number>`coalesce(sum((duration_ms + 59999) / 60000), 0)`.as('billed_minutes'),
        sql<number>`coalesce(sum(wav_bytes), 0)`.as('wav_bytes'),
        sql<number>`coalesce(sum(mp3_bytes), 0)`.as('mp3_bytes'),
      ])
      .where('account_id', '=', accountId)
      .where('date_created', '>=', from.toISOString())
      .where('date_created', '<', to.toISOString())
      .groupBy([day, 'status', 'storage_class'])
      .orderBy(day)
      .execute();
    return rows.map((r) => ({
      day: r.day,
      status: r.status,
      storageClass: r.storage_class,
      recordings: Number(r.recordings),
      durationMs: Number(r.duration_ms),
      billedMinutes: Number(r.billed_minutes),
      wavBytes: Number(r.wav_bytes),
      mp3Bytes: Number(r.mp3_bytes),
    }));
  }

  async totals(accountId: string): Promise<{ bytes: number; minutes: number }> {
    const row = await this.db
      .selectFrom('recordings')
      .select([sql<number>`coalesce(sum(coalesce(wav_bytes, 0) + coalesce(mp3_bytes, 0)), 0)`.as('bytes'), sql<number>`coalesce(sum(duration_ms), 0)`.as('ms')])
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return { bytes: Number(row.bytes), minutes: Number(row.ms) / 60_000 };
  }

  async quotas(accountId: string): Promise<{ bytes: number | null; minutes: number | null }> {
    const row = await this.db.selectFrom('accounts').select(['quota_bytes', 'quota_minutes']).where('id', '=', accountId).executeTakeFirst();
    return { bytes: row?.quota_bytes === null || row?.quota_bytes === undefined ? null : Number(row.quota_bytes), minutes: row?.quota_minutes ?? null };
  }

  async setQuotas(accountId: string, q: { bytes: number | null; minutes: number | null }): Promise<boolean> {
    const r = await this.db.updateTable('accounts').set({ quota_bytes: q.bytes, quota_minutes: q.minutes }).where('id', '=', accountId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
