import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { createApp, type AppContext } from '../wiring.js';
import { openDatabase } from '../storage/db/database.js';
import { migrateToLatest } from '../storage/db/migrator.js';
import { PgBossJobQueue } from '../jobs/pg-boss-queue.js';
import { reconcileStorage } from '../compliance/reconcile.js';
import { verifyAuditChain } from '../compliance/audit/audit-verify.js';
import { DomainError } from '../errors.js';
import type { IntegrityScope } from '../compliance/integrity/integrity-verifier.js';
import { KeyUnwrapError, UnknownMasterKeyError } from '../compliance/encryption/key-ring.js';

/** One CLI command: its words, its positional arguments and what it does (returns the exit code). */
export interface Command {
  path: string[];
  args: string[];
  help: string;
  run(config: Config, args: string[]): Promise<number>;
}

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Runs `fn` with the services wired as the server wires them, without starting any role. */
async function withApp<T>(config: Config, fn: (app: AppContext) => Promise<T>): Promise<T> {
  const app = await createApp(config, { log: createLogger(process.env.LOG_LEVEL ?? 'warn', { cli: true }, 2) });
  try {
    return await fn(app);
  } finally {
    await app.audit.close();
    await app.auditDatabase.close();
    await app.database.close();
  }
}

export const COMMANDS: Command[] = [
  {
    path: ['accounts', 'create'],
    args: ['NAME'],
    help: 'create an account and its first API key; prints {"account_id","api_key","key_id"}',
    run: (config, [name]) =>
      withApp(config, async (app) => {
        const created = await app.accounts.createAccount(name);
        app.audit.record({ accountId: created.accountId, actor: 'cli', action: 'account.create', resourceType: 'accounts', resourceId: created.accountId, ip: null, details: { key_id: created.keyId } });
        printJson({ account_id: created.accountId, api_key: created.apiKey, key_id: created.keyId });
        return 0;
      }),
  },
  {
    path: ['keys', 'create'],
    args: ['ACCOUNT_ID'],
    help: 'issue another API key for an account',
    run: (config, [accountId]) =>
      withApp(config, async (app) => {
        const key = await app.accounts.createKey(accountId);
        app.audit.record({ accountId, actor: 'cli', action: 'api_key.create', resourceType: 'api_keys', resourceId: key.keyId, ip: null, details: {} });
        printJson({ account_id: accountId, api_key: key.apiKey, key_id: key.keyId });
        return 0;
      }),
  },
  {
    path: ['keys', 'revoke'],
    args: ['KEY_ID'],
    help: 'revoke an API key (the KY... part of the key)',
    run: (config, [keyId]) =>
      withApp(config, async (app) => {
        const accountId = await app.accounts.revokeKey(keyId);
        app.audit.record({ accountId, actor: 'cli', action: 'api_key.revoke', resourceType: 'api_keys', resourceId: keyId, ip: null, details: {} });
        printJson({ key_id: keyId, revoked: true });
        return 0;
      }),
  },
  {
    path: ['migrate'],
    args: [],
    help: 'apply pending database migrations (and install the job queue schema on PostgreSQL)',
    run: async (config) => {
      const log = createLogger(process.env.LOG_LEVEL ?? 'warn', { cli: true }, 2);
      const database = openDatabase(config.databaseUrl);
      try {
        const applied = await migrateToLatest(database.db);
        if (database.dialect === 'postgres') {
          const queue = new PgBossJobQueue(config.databaseUrl, log);
          await queue.start();
          await queue.stop();
        }
        printJson({ applied });
        return 0;
      } finally {
        await database.close();
      }
    },
  },
  {
    path: ['storage', 'reconcile'],
    args: [],
    help: 'find files without recordings and recordings without files; --fix removes orphans and fails lost media',
    run: (config, args) =>
      withApp(config, async (app) => {
        const report = await reconcileStorage(app.database.db, app.stores, args.includes('--fix'));
        for (const orphan of report.orphans) printJson({ type: 'orphan_file', storage_class: orphan.storageClass, key: orphan.key, bytes: orphan.bytes });
        for (const lost of report.lost) printJson({ type: 'lost_media', recording_id: lost.recordingId, account_id: lost.accountId, format: lost.format, key: lost.key });
        printJson({ type: 'summary', orphan_files: report.orphans.length, lost_media: report.lost.length, removed_orphans: report.removedOrphans, failed_recordings: report.failedRecordings });
        return 0;
      }),
  },
  {
    path: ['retention', 'sweep'],
    args: [],
    help: 'apply retention policies now (the worker also runs this on RETENTION_SWEEP_CRON)',
    run: (config) =>
      withApp(config, async (app) => {
        printJson(await app.sweeper.sweep());
        return 0;
      }),
  },
  {
    path: ['accounts', 'quota'],
    args: ['ACCOUNT_ID'],
    help: 'set quotas: --bytes N --minutes N (omit or "none" for unlimited)',
    run: (config, [accountId, ...rest]) =>
      withApp(config, async (app) => {
        const value = (flag: string) => {
          const i = rest.indexOf(flag);
          const raw = i >= 0 ? rest[i + 1] : undefined;
          if (raw === undefined || raw === 'none') return null;
          if (!/^\d+$/.test(raw)) throw new DomainError('invalid', 'invalid_quota', `${flag} needs a whole number or "none"`);
          return Number(raw);
        };
        const quotas = { bytes: value('--bytes'), minutes: value('--minutes') };
        await app.usage.setQuotas(accountId, quotas);
        printJson({ account_id: accountId, quota_bytes: quotas.bytes, quota_minutes: quotas.minutes });
        return 0;
      }),
  },
  {
    path: ['audit', 'verify'],
    args: [],
    help: 'check the audit trail hash chain; reports the first broken link (exit 1)',
    run: (config) =>
      withApp(config, async (app) => {
        const verdict = await verifyAuditChain(app.auditRepo);
        printJson(verdict);
        return verdict.ok ? 0 : 1;
      }),
  },
  {
    path: ['encryption', 'rotate'],
    args: [],
    help: 're-wrap every data key under ENCRYPTION_ACTIVE_KEY_ID (in batches; idempotent; audio untouched); --batch-size N',
    run: (config, args) =>
      withApp(config, async (app) => {
        if (!app.encryption) throw new DomainError('conflict', 'encryption_not_enabled', 'encryption at rest is not configured (ENCRYPTION_MASTER_KEYS)');
        const i = args.indexOf('--batch-size');
        const batchSize = i >= 0 ? Number(args[i + 1]) : 500;
        if (!Number.isInteger(batchSize) || batchSize < 1) throw new DomainError('invalid', 'invalid_batch_size', '--batch-size needs a whole number');
        try {
          const report = await app.encryption.rotate({ batchSize });
          printJson({ type: 'summary', active_key_id: report.activeKeyId, rewrapped: report.rewrapped, skipped: report.skipped });
          return 0;
        } catch (err) {
          if (err instanceof UnknownMasterKeyError || err instanceof KeyUnwrapError) throw new DomainError('conflict', 'master_key_missing', err.message);
          throw err;
        }
      }),
  },
  {
    path: ['encryption', 'status'],
    args: [],
    help: 'the active master key and how many stored objects each key wraps (rotation is done when only the active one is left)',
    run: (config) =>
      withApp(config, async (app) => {
        if (!app.encryption) throw new DomainError('conflict', 'encryption_not_enabled', 'encryption at rest is not configured (ENCRYPTION_MASTER_KEYS)');
        const status = await app.encryption.status();
        printJson({
          active_key_id: status.activeKeyId,
          configured_key_ids: status.configuredKeyIds,
          objects_by_key: Object.fromEntries(status.envelopesByKey.map((e) => [e.keyId ?? 'customer_key_only', e.count])),
        });
        return 0;
      }),
  },
  {
    path: ['verify'],
    args: [],
    help: 're-read stored media and compare with the recorded SHA-256: --all (default), --sample N or --recording ID; one line per failure (exit 1 if any)',
    run: (config, args) =>
      withApp(config, async (app) => {
        const scope = verifyScope(args);
        // Webhooks for new failures are queued as jobs: the queue must be running to take them.
        await app.jobs.start();
        try {
          const report = await app.integrity.verify(scope, (f) =>
            printJson({
              type: f.status === 'error' ? 'read_error' : 'integrity_failure',
              recording_id: f.recordingId,
              account_id: f.accountId,
              status: f.status,
              newly_failed: f.newlyFailed,
              files: f.files.map((file) => ({
                format: file.format,
                storage_class: file.storageClass,
                key: file.key,
                result: file.result,
                detail: file.detail,
                expected_sha256: file.expectedSha256,
                actual_sha256: file.actualSha256,
                expected_bytes: file.expectedBytes,
                actual_bytes: file.actualBytes,
              })),
            }),
          );
          printJson({
            type: 'summary', mode: report.mode, recordings: report.recordings, files: report.files, ok: report.ok, corrupt: report.corrupt, missing: report.missing,
            errors: report.errors, skipped: report.skipped, newly_failed: report.newlyFailed, duration_ms: report.durationMs,
          });
          return report.corrupt + report.missing + report.errors > 0 ? 1 : 0;
        } finally {
          await app.jobs.stop();
        }
      }),
  },
  {
    path: ['jobs', 'failed'],
    args: [],
    help: 'list jobs that exhausted their retries (newest first)',
    run: (config) =>
      withApp(config, async (app) => {
        for (const job of await app.jobs.failed(100)) printJson(job);
        return 0;
      }),
  },
];

/** `verify` flags: `--all` (the default), `--sample N`, `--recording ID`. */
function verifyScope(args: string[]): IntegrityScope {
  const bad = (message: string) => new DomainError('invalid', 'invalid_arguments', message);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw bad(`${flag} needs a value`);
    return v;
  };
  const unknown = args.filter((a, i) => a.startsWith('--') && !['--all', '--sample', '--recording'].includes(a) && !(i > 0 && ['--sample', '--recording'].includes(args[i - 1])));
  if (unknown.length) throw bad(`unknown option ${unknown[0]}; use --all, --sample N or --recording ID`);
  const sample = value('--sample');
  const recording = value('--recording');
  if ([args.includes('--all'), sample !== undefined, recording !== undefined].filter(Boolean).length > 1) throw bad('use one of --all, --sample N, --recording ID');
  if (recording !== undefined) return { mode: 'recording', recordingId: recording };
  if (sample !== undefined) {
    if (!/^\d+$/.test(sample) || Number(sample) < 1) throw bad('--sample needs a whole number of recordings (1 or more)');
    return { mode: 'sample', size: Number(sample) };
  }
  return { mode: 'all' };
}

/** The help text. */
export function usage(): string {
  const lines = COMMANDS.map((c) => `  telefonie ${[...c.path, ...c.args].join(' ').padEnd(34)} ${c.help}`);
  return `telefonie: call recording service administration\n\n${lines.join('\n')}\n`;
}
