import pg from 'pg';
import type { Logger } from '../../logger.js';

type Handler = (payload: string) => void;

const HEARTBEAT_EVERY_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 3000;

/**
 * One dedicated PostgreSQL connection that LISTENs on every channel this process cares
 * about (control commands, recording changes), and reconnects after it is lost. Those who
 * rely on hearing every notification are told when the connection drops and when it is
 * back, since notifications sent in between are gone for good. A connection that stops
 * answering without closing (a silent network) counts as lost after HEARTBEAT_TIMEOUT_MS.
 */
export class PgListener {
  private client?: pg.Client;
  private readonly handlers = new Map<string, Handler>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private connecting?: Promise<void>;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  /** Starts listening on `channel` (connecting first if need be). */
  async listen(channel: string, handler: Handler): Promise<void> {
    this.handlers.set(channel, handler);
    await this.ensureConnected();
    // Also when connect() above already did: LISTEN twice is a no-op.
    await this.client?.query(`LISTEN ${channel}`);
  }

  /** `listener(false)` when the connection is lost, `listener(true)` once listening again. */
  onConnectionChange(listener: (connected: boolean) => void): void {
    this.connectionListeners.add(listener);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  ensureConnected(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    let lost = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const onLost = (reason: string) => {
      clearInterval(heartbeat);
      if (lost || this.closed) return;
      lost = true;
      void client.end().catch(() => undefined);
      this.log.warn({ reason }, 'notification listener connection lost');
      if (this.client === client) {
        this.client = undefined;
        for (const listener of this.connectionListeners) listener(false);
      }
      setTimeout(() => void this.ensureConnected().catch(() => undefined), 1000).unref();
    };
    client.on('error', (err) => onLost(err.message));
    client.on('end', () => onLost('connection ended'));
    client.on('notification', (msg) => this.handlers.get(msg.channel)?.(msg.payload ?? ''));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      onLost((err as Error).message);
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    heartbeat = setInterval(() => {
      const silent = setTimeout(() => onLost(`no answer in ${HEARTBEAT_TIMEOUT_MS} ms`), HEARTBEAT_TIMEOUT_MS);
      client.query('SELECT 1').then(() => clearTimeout(silent), (err: Error) => {
        clearTimeout(silent);
        onLost(err.message);
      });
    }, HEARTBEAT_EVERY_MS);
    heartbeat.unref();
    for (const listener of this.connectionListeners) listener(true);
  }
}
