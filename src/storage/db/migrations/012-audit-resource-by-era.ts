import { sql, type Kysely } from 'kysely';

/**
 * The audit trail's resource index, keyed by era first: `(seq / 8192, resource_id)`.
 * Keyed by resource id alone, every API read inserted at a random place in the whole
 * index, so each batch of appends dirtied about one index page per event and the cost
 * of an append grew with the trail. By era, appends touch only the current era's few
 * hundred pages; a lookup probes each era once. The divisor is part of the index and of
 * its query (AUDIT_ERA_EVENTS in audit.repo.ts; a migration keeps its own literal):
 * never change one without the other.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS audit_events_resource`.execute(db);
  await sql`CREATE INDEX audit_events_resource_by_era ON audit_events ((seq / 8192), resource_id)`.execute(db);
}
