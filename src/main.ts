import { ConfigError, loadConfig } from './config.js';
import { createApp } from './wiring.js';
import { SchemaVersionError } from './storage/db/migrator.js';

/** Boots the roles named by ROLES and stops gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`telefonie: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  let app;
  try {
    app = await createApp(config);
    await app.start();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SchemaVersionError) {
      process.stderr.write(`telefonie: ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`telefonie: failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await app.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();
