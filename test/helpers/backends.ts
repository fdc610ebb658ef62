import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db/database.js';
import { migrateToLatest } from '../../src/storage/db/migrator.js';

/** Where a test's data lives: SQLite + disk always; PostgreSQL + S3 when the environment provides them. */
export interface Backend {
  name: 'sqlite+disk' | 'postgres+s3';
  /** Environment for loadConfig: DATABASE_URL, STORAGE_URL, DATA_DIR... */
  env: Record<string, string>;
  /** Drops what setup created. */
  cleanup(): Promise<void>;
}

/** Backends to run a suite on. Under CI=true PostgreSQL + S3 are mandatory, so they cannot silently skip. */
export function backendNames(): Backend['name'][] {
  const haveScale = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_S3_URL);
  if (!haveScale) {
    if (process.env.CI === 'true') throw new Error('CI=true but TEST_DATABASE_URL / TEST_S3_URL are not set: the PostgreSQL + S3 suite must run in CI');
    if (!warned) {
      warned = true;
      console.warn('[telefonie tests] TEST_DATABASE_URL / TEST_S3_URL not set: skipping the PostgreSQL + S3 runs (SQLite + disk only)');
    }
    return ['sqlite+disk'];
  }
  return ['sqlite+disk', 'postgres+s3'];
}
let warned = false;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-test-'));
}

/** A fresh, empty PostgreSQL database; returns its URL and a dropper. */
export async function createTestDatabase(adminUrl = process.env.TEST_DATABASE_URL!): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `telefonie_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh bucket on the test S3 server (s3rver in CI). TEST_S3_URL is `s3://KEY:SECRET@?endpoint=...&force_path_style=true`. */
export async function createTestBucket(baseUrl = process.env.TEST_S3_URL!): Promise<string> {
  const bucket = `telefonie-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const template = new URL(baseUrl.replace(/^s3:\/\/([^@/?]*@)?[^/?]*/, (m, auth) => `s3://${auth ?? ''}${bucket}`));
  const params = template.searchParams;
  const client = new S3Client({
    endpoint: params.get('endpoint') ?? undefined,
    region: params.get('region') ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: decodeURIComponent(template.username || 'S3RVER'), secretAccessKey: decodeURIComponent(template.password || 'S3RVER') },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return template.toString();
}

/** Sets up one backend for one test file. */
export async function setupBackend(name: Backend['name']): Promise<Backend> {
  const dataDir = tempDir();
  const common = { DATA_DIR: dataDir, MEDIA_URL_SECRET: 'test-secret-0123456789abcdef', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' };
  if (name === 'sqlite+disk') {
    return {
      name,
      env: { ...common, DATABASE_URL: `sqlite://${path.join(dataDir, 'telefonie.db')}`, STORAGE_URL: `file://${path.join(dataDir, 'media')}` },
      cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const database = await createTestDatabase();
  const storageUrl = await createTestBucket();
  return {
    name,
    env: { ...common, DATABASE_URL: database.url, STORAGE_URL: storageUrl },
    cleanup: async () => {
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Dialects a repository test runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const repositoryDialects = ['sqlite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])] as const;

/** A migrated, empty database for a repository test: in-memory SQLite, or a fresh PostgreSQL database dropped by `close`. */
export async function openMigratedDatabase(dialect: 'sqlite' | 'postgres'): Promise<{ handle: DatabaseHandle; close(): Promise<void> }> {
  const created = dialect === 'postgres' ? await createTestDatabase() : undefined;
  const handle = openDatabase(created?.url ?? 'sqlite::memory:');
  await migrateToLatest(handle.db);
  return {
    handle,
    async close() {
      await handle.close();
      await created?.drop();
    },
  };
}
