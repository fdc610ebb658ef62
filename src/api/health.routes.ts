import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import { sendProblem } from './problem.js';

export interface HealthDeps {
  /** Throws when the database cannot answer. */
  pingDatabase: () => Promise<void>;
  metrics: Metrics;
  /** Refreshes gauges sampled at scrape time (queue depth, pool use). */
  sampleGauges: () => Promise<void>;
  isShuttingDown: () => boolean;
}

/** Liveness, readiness and Prometheus metrics; outside the versioned API and its OpenAPI document. */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (deps.isShuttingDown()) return sendProblem(reply, 503, 'shutting_down', 'the process is shutting down');
    try {
      await deps.pingDatabase();
    } catch (err) {
      return sendProblem(reply, 503, 'database_unavailable', `database: ${(err as Error).message}`);
    }
    return { status: 'ready' };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    await deps.sampleGauges().catch(() => undefined);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
