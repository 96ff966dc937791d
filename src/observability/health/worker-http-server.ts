import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerMatches } from '../../auth/credentials';
import { AppError, errors } from '../../common/errors';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { WorkerReadiness } from './worker-readiness';

export interface WorkerHttpOptions {
  port: number;
  host: string;
  readiness: WorkerReadiness;
  /** null: METRICS_ENABLED is false and /metrics is not served. */
  metrics: WorkerMetrics | null;
  /** METRICS_TOKEN: when set, /metrics wants it as a bearer token (as on the API). */
  metricsToken?: string;
}

/**
 * The worker's own port: `/livez` (answering at all means the event loop runs), `/readyz` (see
 * WorkerReadiness) and `/metrics`. Plain node:http: the worker has no HTTP framework otherwise.
 */
export async function startWorkerHttpServer(options: WorkerHttpOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    route(req, res, options).catch((err: unknown) => {
      if (!res.headersSent) fail(res, errors.internal());
      else res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function route(req: IncomingMessage, res: ServerResponse, { readiness, metrics, metricsToken }: WorkerHttpOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, errors.invalidRequest('Only GET and HEAD', 405));
  if (path === '/livez') return json(res, 200, { status: 'alive', uptimeSeconds: Math.round(process.uptime()) });
  if (path === '/readyz') {
    const { ready, body } = await readiness.check();
    return json(res, ready ? 200 : 503, body);
  }
  if (path === '/metrics' && metrics) {
    if (metricsToken && !bearerMatches(req.headers.authorization, metricsToken)) {
      return fail(res, errors.unauthorized());
    }
    const body = await metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
    res.end(body);
    return;
  }
  fail(res, errors.notFound());
}

/** Errors as the API answers them: the catalogue's status, code and message. */
function fail(res: ServerResponse, err: AppError): void {
  json(res, err.status, err.toBody());
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
