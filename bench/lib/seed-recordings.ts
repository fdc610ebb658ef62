import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/storage/db/schema.js';
import type { Dialect } from '../../src/storage/db/database.js';

/**
 * Inserts `count` completed recordings for one account, two per call id, with media keys
 * set (the objects need not exist for metadata reads). Ids are RE + 32 hex digits like real ones.
 */
export async function seedRecordings(db: Kysely<Database>, dialect: Dialect, accountId: string, count: number): Promise<{ ids: string[]; callIds: string[] }> {
  const base = Date.parse('2026-01-01T00:00:00Z');
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    if (dialect === 'postgres') {
      // Server-side generation: one statement per batch instead of shipping every row.
      await sql`
        INSERT INTO recordings (id, account_id, call_id, status, source, channels, sample_rate, duration_ms, date_created, date_updated, wav_key, wav_bytes, wav_sha256, mp3_key, mp3_bytes, mp3_sha256, details)
        SELECT 'RE' || lpad(to_hex(g), 32, '0'), ${accountId}, 'CA' || (g / 2), 'completed', 'upload', 2, 8000, 61000,
               to_char(to_timestamp((${base} + g * 1000) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               to_char(to_timestamp((${base} + g * 1000) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'recordings/x/' || g || '.wav', 976080, repeat('a', 64), 'recordings/x/' || g || '.mp3', 244000, repeat('b', 64), '{}'
        FROM generate_series(${start}::bigint, ${start + n - 1}::bigint) AS g`.execute(db);
    } else {
      const rows: Array<Record<string, unknown>> = [];
      for (let g = start; g < start + n; g++) {
        const at = new Date(base + g * 1000).toISOString();
        rows.push({
          id: 'RE' + g.toString(16).padStart(32, '0'),
          account_id: accountId,
          call_id: 'CA' + Math.floor(g / 2),
          status: 'completed',
          source: 'upload',
          channels: 2,
          sample_rate: 8000,
          duration_ms: 61000,
          date_created: at,
          date_updated: at,
          wav_key: `recordings/x/${g}.wav`,
          wav_bytes: 976080,
          wav_sha256: 'a'.repeat(64),
          mp3_key: `recordings/x/${g}.mp3`,
          mp3_bytes: 244000,
          mp3_sha256: 'b'.repeat(64),
          error_code: null,
          error_message: null,
          details: '{}',
        });
      }
      // SQLite caps bound parameters per statement; 500 rows x 19 columns stays under it.
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += 500) await trx.insertInto('recordings').values(rows.slice(i, i + 500) as any).execute();
      });
    }
  }
  const sampleIds: string[] = [];
  const sampleCalls: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const g = Math.floor((i * 7919 * 13) % count);
    sampleIds.push('RE' + g.toString(16).padStart(32, '0'));
    sampleCalls.push('CA' + Math.floor(g / 2));
  }
  return { ids: sampleIds, callIds: sampleCalls };
}
