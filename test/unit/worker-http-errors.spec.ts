import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { errors } from '../../src/common/errors';
import { startWorkerHttpServer } from '../../src/observability/health/worker-http-server';
import type { WorkerReadiness } from '../../src/observability/health/worker-readiness';
import { WorkerMetrics } from '../../src/observability/metrics/worker-metrics';

/** The worker's own port answers errors as the API does: the catalogue's code, status and message. */
describe('worker HTTP errors', () => {
  let server: Server;
  let url: string;
  const readiness = { check: async () => ({ ready: true, body: { status: 'ready' } }) } as unknown as WorkerReadiness;

  beforeAll(async () => {
    const started = await startWorkerHttpServer({
      port: 0, host: '127.0.0.1', readiness, metrics: new WorkerMetrics(tmpdir()), metricsToken: 'metrics-token-0123456789',
    });
    server = started.server;
    url = `http://127.0.0.1:${started.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const answer = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, init);
    return { status: res.status, body: await res.json() };
  };

  it('answers an unknown path, a missing token and a wrong method from the catalogue', async () => {
    const notFound = errors.notFound();
    const unauthorized = errors.unauthorized();
    expect(await answer('/nope')).toEqual({ status: notFound.status, body: notFound.toBody() });
    expect(await answer('/metrics')).toEqual({ status: unauthorized.status, body: unauthorized.toBody() });
    const wrongMethod = await answer('/readyz', { method: 'POST' });
    expect(wrongMethod).toEqual({ status: 405, body: errors.invalidRequest('Only GET and HEAD', 405).toBody() });
  });
});
