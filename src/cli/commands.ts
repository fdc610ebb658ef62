import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { createApp, type AppContext } from '../wiring.js';
import { openDatabase } from '../storage/db/database.js';
import { migrateToLatest } from '../storage/db/migrator.js';
import { PgBossJobQueue } from '../jobs/pg-boss-queue.js';

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
        await app.accounts.revokeKey(keyId);
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

/** The help text. */
export function usage(): string {
  const lines = COMMANDS.map((c) => `  telefonie ${[...c.path, ...c.args].join(' ').padEnd(34)} ${c.help}`);
  return `telefonie: call recording service administration\n\n${lines.join('\n')}\n`;
}
