import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import { migrations } from './migrations/index.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The database's schema is behind (or ahead of) the code; the message says what to run. */
export class SchemaVersionError extends Error {}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Throws SchemaVersionError unless every migration this code knows is applied, and no unknown one is. */
export async function assertSchemaCurrent(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const infos = await migrator.getMigrations();
  const pending = infos.filter((m) => !m.executedAt).map((m) => m.name);
  if (pending.length > 0) {
    throw new SchemaVersionError(
      `database schema is older than this code: ${pending.length} migration(s) pending (${pending.join(', ')}). Run "telefonie migrate" first.`,
    );
  }
}
