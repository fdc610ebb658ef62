import type { JobMap, JobName } from '../../../src/jobs/job-map.js';
import type { JobHandler, JobQueue, SendOptions } from '../../../src/jobs/job-queue.js';
import type { AttemptRecord, DeliveryFilter, WebhookRepository } from '../../../src/webhooks/webhook.repo.js';
import type { CallbackSecret, WebhookDelivery, WebhookEndpoint } from '../../../src/webhooks/webhook.js';

/** WebhookRepository in memory, with the same claim and uniqueness rules as the SQL one. */
export class MemoryWebhookRepository implements WebhookRepository {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  readonly deliveries = new Map<string, WebhookDelivery & { lockedUntil: Date | null }>();
  readonly secrets = new Map<string, CallbackSecret>();
  /** Makes the next calls of a method throw (to test failure paths). */
  failing = new Set<keyof WebhookRepository>();

  private check(method: keyof WebhookRepository): void {
    if (this.failing.has(method)) throw new Error(`${method}: database unavailable`);
  }

  async insertEndpoint(e: WebhookEndpoint) { this.check('insertEndpoint'); this.endpoints.set(e.id, structuredClone(e)); }
  async updateEndpoint(e: WebhookEndpoint) { this.check('updateEndpoint'); this.endpoints.set(e.id, structuredClone(e)); }
  async findEndpoint(accountId: string, id: string) { const e = this.endpoints.get(id); return e && e.accountId === accountId ? structuredClone(e) : null; }
  async findEndpointUnscoped(id: string) { const e = this.endpoints.get(id); return e ? structuredClone(e) : null; }
  async listEndpoints(accountId: string) {
    this.check('listEndpoints');
    return [...this.endpoints.values()].filter((e) => e.accountId === accountId).map((e) => structuredClone(e));
  }
  async deleteEndpoint(accountId: string, id: string) { const e = this.endpoints.get(id); if (!e || e.accountId !== accountId) return false; this.endpoints.delete(id); return true; }

  async getCallbackSecret(accountId: string) { return this.secrets.get(accountId) ?? null; }
  async ensureCallbackSecret(accountId: string, candidate: CallbackSecret) { if (!this.secrets.has(accountId)) this.secrets.set(accountId, candidate); return this.secrets.get(accountId)!; }
  async replaceCallbackSecret(accountId: string, secret: CallbackSecret) { this.secrets.set(accountId, secret); }

  async insertDeliveries(rows: WebhookDelivery[]) {
    this.check('insertDeliveries');
    const inserted: WebhookDelivery[] = [];
    for (const d of rows) {
      if ([...this.deliveries.values()].some((x) => x.eventId === d.eventId && x.targetUrl === d.targetUrl)) continue;
      this.deliveries.set(d.id, { ...structuredClone(d), lockedUntil: null });
      inserted.push(d);
    }
    return inserted;
  }
  async findDelivery(accountId: string, id: string) { const d = this.deliveries.get(id); return d && d.accountId === accountId ? strip(d) : null; }
  async listDeliveries(accountId: string, filter: DeliveryFilter, page: { page: number; size: number }) {
    const all = [...this.deliveries.values()]
      .filter((d) => d.accountId === accountId && (!filter.status || d.status === filter.status) && (!filter.eventType || d.eventType === filter.eventType) && (!filter.endpointId || d.endpointId === filter.endpointId))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    return { items: all.slice((page.page - 1) * page.size, page.page * page.size).map(strip), total: all.length };
  }
  async claimDelivery(id: string, now: Date, dueBy: Date, leaseUntil: Date) {
    this.check('claimDelivery');
    const d = this.deliveries.get(id);
    if (!d || d.status !== 'pending' || !d.nextAttemptAt || d.nextAttemptAt > dueBy || (d.lockedUntil && d.lockedUntil >= now)) return null;
    d.lockedUntil = new Date(leaseUntil);
    d.updatedAt = now;
    return strip(d);
  }
  async recordAttempt(id: string, leaseUntil: Date, r: AttemptRecord, now: Date) {
    this.check('recordAttempt');
    const d = this.deliveries.get(id);
    if (!d || d.lockedUntil?.getTime() !== leaseUntil.getTime()) return false;
    Object.assign(d, { ...r, lockedUntil: null, updatedAt: now });
    return true;
  }
  async listOverdue(now: Date, dueBefore: Date, limit: number) {
    return [...this.deliveries.values()]
      .filter((d) => d.status === 'pending' && d.nextAttemptAt && d.nextAttemptAt < dueBefore && (!d.lockedUntil || d.lockedUntil < now))
      .slice(0, limit)
      .map((d) => ({ id: d.id, attempts: d.attempts }));
  }
  async pruneFinished(before: Date) {
    let n = 0;
    for (const [id, d] of this.deliveries) if (d.status !== 'pending' && d.createdAt < before && this.deliveries.delete(id)) n++;
    return n;
  }
}

function strip(d: WebhookDelivery & { lockedUntil: Date | null }): WebhookDelivery {
  const { lockedUntil: _ignored, ...rest } = d;
  return structuredClone(rest);
}

/** A JobQueue that only records what was sent; singleton keys dedupe like the real queues (until `clear`). */
export class RecordingJobQueue implements JobQueue {
  readonly sent: Array<{ name: JobName; payload: unknown; opts: SendOptions }> = [];
  private readonly keys = new Set<string>();
  failSends = 0;
  async start() {}
  async stop() {}
  async send<N extends JobName>(name: N, payload: JobMap[N], opts: SendOptions = {}) {
    if (this.failSends > 0) {
      this.failSends--;
      throw new Error('queue unavailable');
    }
    if (opts.singletonKey && this.keys.has(opts.singletonKey)) return null;
    if (opts.singletonKey) this.keys.add(opts.singletonKey);
    this.sent.push({ name, payload, opts });
    return `JB${this.sent.length}`;
  }
  /** Jobs ran and finished: their keys are free again. */
  clear() { this.sent.length = 0; this.keys.clear(); }
  async work<N extends JobName>(_name: N, _handler: JobHandler<N>) {}
  async schedule() {}
  async counts() { return []; }
  async failed() { return []; }
}

/** A logger that keeps what was logged. */
export function memoryLogger() {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  const log = { lines, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => log };
  return log as unknown as import('../../../src/logger.js').Logger & { lines: typeof lines };
}
