import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric this process exports, created once per process.
 * Names follow Prometheus conventions: base units (seconds, bytes), `_total` for counters.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'telefonie_http_requests_total',
    help: 'HTTP requests served, by route template, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'telefonie_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  readonly storageBytes = new Counter({
    name: 'telefonie_storage_bytes_total',
    help: 'Bytes written to and read from media storage, by direction (read|write)',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly recordingsInProgress = new Gauge({
    name: 'telefonie_recordings_in_progress',
    help: 'Live recordings this process is writing right now',
    registers: [this.registry],
  });

  readonly jobsFinished = new Counter({
    name: 'telefonie_jobs_finished_total',
    help: 'Jobs this process ran, by job name and outcome (completed|failed)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobQueueDepth = new Gauge({
    name: 'telefonie_job_queue_depth',
    help: 'Jobs in the shared queue by name and state (queued|active|failed), sampled at scrape time',
    labelNames: ['job', 'state'] as const,
    registers: [this.registry],
  });

  readonly dbPool = new Gauge({
    name: 'telefonie_db_pool_connections',
    help: 'Database pool connections by state (total|idle|waiting); PostgreSQL only',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly integrityChecks = new Counter({
    name: 'telefonie_integrity_checks_total',
    help: 'Stored media files this process re-read for an integrity check, by result (ok|corrupt|missing|error|skipped)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly integrityFailures = new Gauge({
    name: 'telefonie_integrity_failed_recordings',
    help: 'Recordings whose last integrity check found media corrupt or missing, by status, sampled at scrape time',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'telefonie_process_' });
  }
}
