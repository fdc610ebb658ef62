import { loadConfig } from '../../src/config.js';
import { createApp, type AppContext } from '../../src/wiring.js';
import { openDatabase } from '../../src/storage/db/database.js';
import { migrateToLatest } from '../../src/storage/db/migrator.js';
import type { Clock } from '../../src/clock.js';
import { setupBackend, type Backend } from './backends.js';
import { freePort } from './ports.js';

/** A real server on a real database and storage, listening on a loopback port. */
export interface TestServer {
  app: AppContext;
  backend: Backend;
  baseUrl: string;
  /** An account created through the service, with its key. */
  account: { accountId: string; apiKey: string; keyId: string };
  /** fetch() against the API with this account's key. */
  api(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the whole service (all roles) on the named backend. */
export async function startTestServer(backendName: Backend['name'], opts: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestServer> {
  const backend = await setupBackend(backendName);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // SIP on a random port and a random RTP range, so test servers running in parallel never collide.
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 19000);
  const env = {
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: baseUrl, SIP_PORT: '0', SIP_HOST: '127.0.0.1', RTP_PORT_MIN: String(rtpBase), RTP_PORT_MAX: String(rtpBase + 400),
    ...backend.env, ...opts.env,
  };
  const config = loadConfig(env);
  if (backendName === 'postgres+s3') {
    // At scale migrations are an explicit step (`telefonie migrate`); do it as an operator would.
    const db = openDatabase(config.databaseUrl);
    await migrateToLatest(db.db);
    await db.close();
  }
  const app = await createApp(config, { clock: opts.clock });
  await app.start();
  const account = await app.accounts.createAccount('test');
  return {
    app,
    backend,
    baseUrl,
    account,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      const key = init.key === undefined ? account.apiKey : init.key;
      if (key !== null) headers.set('x-api-key', key);
      return fetch(`${baseUrl}/v1/recordings${path}`, { ...init, headers });
    },
    async close() {
      await app.stop();
      await backend.cleanup();
    },
  };
}
