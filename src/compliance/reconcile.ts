import type { Kysely } from 'kysely';
import type { Database } from '../storage/db/schema.js';
import type { MediaStores } from '../storage/blob/media-stores.js';
import type { StorageClass } from '../recordings/recording.js';

/** A stored file no recording refers to. */
export interface OrphanFile {
  storageClass: StorageClass;
  key: string;
  bytes: number;
}

/** A recording whose media file is missing from its tier. */
export interface LostMedia {
  recordingId: string;
  accountId: string;
  format: 'wav' | 'mp3';
  key: string;
}

export interface ReconcileReport {
  orphans: OrphanFile[];
  lost: LostMedia[];
  /** With --fix: orphan files removed and recordings marked failed. */
  removedOrphans: number;
  failedRecordings: number;
}

const BATCH = 1000;

/** The recording id a media key belongs to: `recordings/{account}/{recordingId}.{rest}`. */
function recordingIdOfKey(key: string): string | null {
  const match = /^recordings\/[^/]+\/([A-Za-z0-9]+)\./.exec(key);
  return match ? match[1] : null;
}

/**
 * Compares media storage with the database. Files under a recording's key prefix in its
 * own tier belong to it (including derived files such as redacted copies); everything
 * else under `recordings/` is an orphan. Referenced files that are gone are lost media.
 * With `fix`, orphans are deleted and recordings with lost media are marked failed.
 */
export async function reconcileStorage(db: Kysely<Database>, stores: MediaStores, fix: boolean): Promise<ReconcileReport> {
  const report: ReconcileReport = { orphans: [], lost: [], removedOrphans: 0, failedRecordings: 0 };
  for (const storageClass of ['standard', 'archive'] as const) {
    const store = stores.of(storageClass);
    let pending: Array<{ key: string; size: number }> = [];
    const flush = async () => {
      const ids = [...new Set(pending.map((p) => recordingIdOfKey(p.key)).filter((id): id is string => id !== null))];
      const owners = ids.length
        ? await db.selectFrom('recordings').select(['id', 'storage_class']).where('id', 'in', ids).execute()
        : [];
      const inThisTier = new Set(owners.filter((o) => o.storage_class === storageClass).map((o) => o.id));
      for (const item of pending) {
        const id = recordingIdOfKey(item.key);
        if (id && inThisTier.has(id)) continue;
        report.orphans.push({ storageClass, key: item.key, bytes: item.size });
      }
      pending = [];
    };
    for await (const item of store.list('recordings/')) {
      pending.push(item);
      if (pending.length >= BATCH) await flush();
    }
    await flush();
  }

  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('recordings')
      .select(['id', 'account_id', 'storage_class', 'wav_key', 'mp3_key', 'status'])
      .where('id', '>', after)
      .where((eb) => eb.or([eb('wav_key', 'is not', null), eb('mp3_key', 'is not', null)]))
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    await Promise.all(
      rows.flatMap((row) =>
        (['wav', 'mp3'] as const).map(async (format) => {
          const key = format === 'wav' ? row.wav_key : row.mp3_key;
          if (!key) return;
          if (!(await stores.of(row.storage_class as StorageClass).stat(key))) report.lost.push({ recordingId: row.id, accountId: row.account_id, format, key });
        }),
      ),
    );
  }

  if (fix) {
    for (const orphan of report.orphans) {
      await stores.of(orphan.storageClass).delete(orphan.key);
      report.removedOrphans++;
    }
    for (const id of new Set(report.lost.map((l) => l.recordingId))) {
      const r = await db
        .updateTable('recordings')
        .set({ status: 'failed', error_code: 'media_lost', error_message: 'the stored media file is missing (found by storage reconcile)', date_updated: new Date().toISOString() })
        .where('id', '=', id)
        .where('status', '!=', 'failed')
        .executeTakeFirst();
      report.failedRecordings += Number(r.numUpdatedRows);
    }
  }
  return report;
}
