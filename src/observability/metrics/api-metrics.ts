import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { UploadMode } from '../../database/entities/upload.entity';
import { registerStoreGauges } from './store-gauges';

/** How an upload was asked for: its storage mode, or `uppy` for Uppy's routes (which use post/multipart). */
export type CreationChannel = UploadMode | 'uppy';

/** Seconds; from a cached answer (~ms) to a slow multipart completion or a long SSE stream. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The API process's metrics, served at GET /metrics. Labels are bounded: routes are Nest's
 * patterns (`/v1/uploads/:id`), never raw URLs, and tenants are the top few by upload count.
 */
export class ApiMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'intake_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'intake_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly uploadsCreated = new Counter({
    name: 'intake_uploads_created_total',
    help: 'Uploads created, by mode (put, post, multipart, tus, uppy)',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });

  constructor(db: DataSource, topTenants: number) {
    collectDefaultMetrics({ register: this.registry });
    registerStoreGauges(this.registry, db, topTenants);
  }

  uploadCreated(channel: CreationChannel): void {
    this.uploadsCreated.inc({ mode: channel });
  }
}
