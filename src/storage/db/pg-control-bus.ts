import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PgListener } from './pg-listener.js';
import type { Logger } from '../../logger.js';
import type { ControlBus, ControlCommand, ControlHandler, ControlReply } from '../../calls/control-bus.js';

const REQUESTS = 'telefonie_control';
const REPLIES = 'telefonie_control_reply';

/**
 * ControlBus over PostgreSQL LISTEN/NOTIFY: every process listens for replies, ingest
 * processes also for requests, on the process's shared listener connection; notifications
 * go out on the pool.
 */
export class PgControlBus implements ControlBus {
  private handler?: ControlHandler;
  private readonly waiting = new Map<string, (reply: ControlReply) => void>();
  private listening?: Promise<void>;

  constructor(
    private readonly listener: PgListener,
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
    // The listener connection is the process's, closed by its owner.
  }

  private ensureListening(): Promise<void> {
    this.listening ??= (async () => {
      await this.listener.listen(REPLIES, (payload) => void this.onNotification(REPLIES, payload));
      await this.listener.listen(REQUESTS, (payload) => void this.onNotification(REQUESTS, payload));
    })().catch((err) => {
      this.listening = undefined;
      throw err;
    });
    return this.listening;
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
