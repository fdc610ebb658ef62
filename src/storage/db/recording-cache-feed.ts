import type { Logger } from '../../logger.js';
import type { RecordingCache } from '../../recordings/recording-cache.js';
import type { DatabaseHandle } from './database.js';
import { RECORDING_CHANGES_CHANNEL } from './migrations/011-recording-change-notify.js';
import type { PgListener } from './pg-listener.js';

/**
 * Turns on a RecordingCache and keeps it coherent with the database: this process's own
 * writes empty it as they happen; other processes' writes arrive by NOTIFY on PostgreSQL
 * (the cache is off while the listener is disconnected, as those notifications are lost)
 * and show in SQLite's data_version (a CLI command run beside the server).
 */
export async function keepRecordingCacheCoherent(cache: RecordingCache, database: DatabaseHandle, listener: PgListener | undefined, log: Logger): Promise<void> {
  database.recordingWrites.subscribe(() => cache.invalidateAll());
  if (!listener) return cache.setEnabled(true);
  listener.onConnectionChange((connected) => cache.setEnabled(connected));
  try {
    await listener.listen(RECORDING_CHANGES_CHANNEL, (payload) => cache.invalidate(payload.split(',')));
    cache.setEnabled(listener.connected);
  } catch (err) {
    // Reads go to the database until the listener reconnects (it retries by itself).
    log.warn({ err: (err as Error).message }, 'recording cache off until the notification listener connects');
  }
}
