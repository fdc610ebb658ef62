import { ExportIntegrityError, type ExportBuilder } from '../../compliance/export/export-builder.js';
import { JOB_POLICIES } from '../job-map.js';
import { PermanentJobError, type JobHandler } from '../job-queue.js';

/**
 * export.build: streams one bundle into the blob store. Idempotent: a rerun (retry, or a
 * second worker after a lease ran out) rebuilds the same bundle under the same key; a
 * completed or deleted export is left alone. Media that no longer matches its recorded
 * SHA-256 fails the export for good (retrying cannot fix it).
 */
export function exportBuildJob(builder: ExportBuilder): JobHandler<'export.build'> {
  const attempts = JOB_POLICIES['export.build'].retryLimit + 1;
  return async ({ exportId }, ctx) => {
    try {
      await builder.build(exportId, { finalAttempt: ctx.attempt >= attempts });
    } catch (err) {
      if (err instanceof ExportIntegrityError) throw new PermanentJobError(err.message, 'export_media_integrity');
      throw err;
    }
  };
}
