import type { NativeConnection, Worker } from '@temporalio/worker';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/config';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { startWorkerHttpServer } from './worker-http-server';
import { WorkerReadiness } from './worker-readiness';

const TEMPORAL_PROBE_MS = 2_000;
/** grpc.health.v1 HealthCheckResponse.ServingStatus.SERVING */
const SERVING = 1;

export interface WorkerEndpoints {
  close(): Promise<void>;
}

/**
 * Serves the worker's health and metrics on WORKER_HTTP_PORT (none when 0) and turns readiness
 * off on the first SIGTERM/SIGINT, as the Temporal SDK starts draining the Workers.
 */
export async function startWorkerEndpoints(deps: {
  config: Pick<AppConfig, 'WORKER_HTTP_PORT' | 'HOST' | 'WORK_DIR' | 'WORKER_MIN_FREE_DISK_MB' | 'METRICS_TOKEN'>;
  connection: NativeConnection;
  workers: readonly Worker[];
  metrics: WorkerMetrics | null;
  logger: Logger;
}): Promise<WorkerEndpoints> {
  const { config, connection, workers, metrics, logger } = deps;
  if (!config.WORKER_HTTP_PORT) return { close: async () => undefined };
  // Sessions create it on first use; readiness measures its file system from the start.
  await mkdir(config.WORK_DIR, { recursive: true });
  const readiness = new WorkerReadiness({
    temporal: async () => {
      const reply = await connection.withDeadline(Date.now() + TEMPORAL_PROBE_MS, () => connection.healthService.check({}));
      if (reply.status !== SERVING) throw new Error(`Temporal health: ${reply.status}`);
    },
    workerStates: () => workers.map((w) => w.getState()),
    workDir: config.WORK_DIR,
    minFreeBytes: config.WORKER_MIN_FREE_DISK_MB * 1024 * 1024,
  });
  const drain = () => readiness.drain();
  process.once('SIGTERM', drain);
  process.once('SIGINT', drain);
  const { server, port } = await startWorkerHttpServer({
    port: config.WORKER_HTTP_PORT,
    host: config.HOST,
    readiness,
    metrics,
    metricsToken: config.METRICS_TOKEN,
  });
  logger.info({ url: `http://${config.HOST}:${port}`, paths: ['/livez', '/readyz', '/metrics'] }, 'worker health listening');
  return {
    close: () => {
      process.off('SIGTERM', drain);
      process.off('SIGINT', drain);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
