import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../logger.js';
import type { ControlBus, ControlCommand, ControlHandler, ControlReply } from '../../calls/control-bus.js';

const REQUESTS = 'telefonie_control';
const REPLIES = 'telefonie_control_reply';

/**
 * ControlBus over PostgreSQL LISTEN/NOTIFY: every process listens for replies, ingest
 * processes also for requests. A dedicated connection listens (and reconnects when the
 * database comes back); notifications go out on the shared pool.
 */
export class PgControlBus implements ControlBus {
  private listener?: pg.Client;
  private handler?: ControlHandler;
  private readonly waiting = new Map<string, (reply: ControlReply) => void>();
  private closed = false;
  private connecting?: Promise<void>;

  constructor(
    private readonly connectionString: string,
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {}

  async request(command: ControlCommand, timeoutMs = 3000): Promise<ControlReply> {
    await this.ensureListening();
    const id = randomUUID();
    const reply = new Promise<ControlReply>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ handled: false });
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      });
    });
    await this.pool.query('SELECT pg_notify($1, $2)', [REQUESTS, JSON.stringify({ id, command })]);
    return reply;
  }

  async serve(handler: ControlHandler): Promise<void> {
    this.handler = handler;
    await this.ensureListening();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
  }

  private ensureListening(): Promise<void> {
    if (this.listener) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'control bus connection lost');
      this.listener = undefined;
      if (!this.closed) setTimeout(() => void this.ensureListening().catch(() => undefined), 1000).unref();
    });
    client.on('notification', (msg) => void this.onNotification(msg.channel, msg.payload ?? ''));
    await client.connect();
    await client.query(`LISTEN ${REPLIES}`);
    await client.query(`LISTEN ${REQUESTS}`);
    this.listener = client;
  }

  private async onNotification(channel: string, payload: string): Promise<void> {
    let message: { id: string; command?: ControlCommand; reply?: ControlReply };
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    if (channel === REPLIES) {
      if (message.reply) this.waiting.get(message.id)?.(message.reply);
      return;
    }
    if (!this.handler || !message.command) return;
    try {
      const reply = await this.handler(message.command);
      // Only the process holding the call answers; the others stay silent.
      if (reply.handled) await this.pool.query('SELECT pg_notify($1, $2)', [REPLIES, JSON.stringify({ id: message.id, reply })]);
    } catch (err) {
      this.log.error({ err, command: message.command.kind }, 'control command failed');
    }
  }
}
