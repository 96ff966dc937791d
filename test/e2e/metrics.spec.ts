import { randomUUID } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPORAL_SDK_METRICS } from '../../src/observability/metrics/external-metrics';
import { ApiClient } from '../support/api-client';
import { makeImage } from '../support/media';
import { PlatformProcess, freePort, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const METRICS_TOKEN = 'e2e-metrics-token-0123456789';

type Labels = Record<string, string>;

/** Prometheus text format, sample lines only: name, labels and value. */
function samples(text: string): Array<{ name: string; labels: Labels; value: number }> {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)!;
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The value of the one series with exactly these labels (besides ones not given), 0 when absent. */
function valueOf(text: string, name: string, labels: Labels = {}): number {
  const found = samples(text).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]?.value ?? 0;
}

async function scrape(url: string, token = METRICS_TOKEN): Promise<string> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

/** A webhook consumer that holds every request until released: keeps a delivery attempt in flight. */
class HeldConsumer {
  readonly held: ServerResponse[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      req.resume();
      this.held.push(res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  release(): void {
    for (const res of this.held.splice(0)) res.writeHead(204).end();
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('metrics and worker health on the real stack', () => {
  const receiver = new WebhookReceiver();
  const consumer = new HeldConsumer();
  let dir: string;
  let api: ApiClient;
  let apiUrl: string;
  let tenant: TenantCredentials;
  let apiProc: PlatformProcess;
  let worker: PlatformProcess;
  let workerUrl: string;
  let sdkUrl: string;
  const images: string[] = [];
  const ready: string[] = [];

  beforeAll(async () => {
    testConfig();
    dir = await mkdtemp(join(tmpdir(), 'intake-metrics-'));
    await Promise.all([receiver.start(), consumer.start()]);
    const [httpPort, sdkPort] = [await freePort(), await freePort()];
    workerUrl = `http://127.0.0.1:${httpPort}`;
    sdkUrl = `http://127.0.0.1:${sdkPort}/metrics`;
    const env = { ADMIN_TOKEN, METRICS_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    apiProc = started.proc;
    apiUrl = started.url;
    worker = await startWorker({ ...env, WORKER_HTTP_PORT: String(httpPort), TEMPORAL_METRICS_PORT: String(sdkPort) });
    tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    for (const [i, size] of [
      [0, 320],
      [1, 400],
    ]) {
      images.push(join(dir, `image-${i}.jpg`));
      await makeImage(images[i]!, size!, 240, 'jpeg');
    }
  });

  afterAll(async () => {
    await consumer.stop();
    await Promise.all([apiProc, worker].filter(Boolean).map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  it('GET /metrics on the API wants METRICS_TOKEN', async () => {
    for (const authorization of [undefined, 'Bearer not-the-metrics-token']) {
      const res = await fetch(`${apiUrl}/metrics`, { headers: authorization ? { authorization } : {} });
      expect([res.status, ((await res.json()) as any).error.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    const res = await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts uploads created by mode and requests by route pattern, never by raw URL', async () => {
    const before = await scrape(`${apiUrl}/metrics`);
    for (const image of images) ready.push(await uploadFile(api, image, 'image/jpeg'));
    const form = await api.post('/v1/uploads', { filename: 'form.jpg', contentType: 'image/jpeg', size: 100, mode: 'post' });
    expect(form.status).toBe(201);
    expect((await api.get(`/v1/uploads/${randomUUID()}`)).status).toBe(404);
    const after = await scrape(`${apiUrl}/metrics`);

    const delta = (name: string, labels: Labels) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('intake_uploads_created_total', { mode: 'put' })).toBe(2);
    expect(delta('intake_uploads_created_total', { mode: 'post' })).toBe(1);
    expect(delta('intake_http_requests_total', { method: 'POST', route: '/v1/uploads', status: '201' })).toBe(3);
    expect(delta('intake_http_requests_total', { method: 'POST', route: '/v1/uploads/:id/complete', status: '202' })).toBe(2);
    expect(delta('intake_http_requests_total', { method: 'GET', route: '/v1/uploads/:id', status: '404' })).toBe(1);
    expect(delta('intake_http_request_duration_seconds_count', { method: 'GET', route: '/v1/uploads/:id', status: '404' })).toBe(1);
    // Upload ids never become route labels.
    const routes = samples(after).filter((s) => s.name === 'intake_http_requests_total').map((s) => s.labels.route!);
    expect(routes.filter((route) => /[0-9a-f]{8}-/.test(route))).toEqual([]);
  });

  it("the worker's steps, scans, bytes, outcomes and webhook attempts moved by exactly these uploads", async () => {
    for (const id of ready) expect((await webhookFor(receiver, id)).body.data.status).toBe('ready');
    const bytes = (await Promise.all(images.map((f) => stat(f)))).reduce((sum, s) => sum + s.size, 0);
    // This spec's worker is the only one polling (e2e files run one at a time, as webhook-ssrf.spec
    // relies on too): every count is this spec's uploads'.
    const text = await eventually(
      async () => {
        const t = await scrape(`${workerUrl}/metrics`);
        const delivered = ready.reduce((n, id) => n + receiver.forUpload(id).length, 0);
        return valueOf(t, 'intake_webhook_attempts_total', { outcome: 'delivered' }) === delivered ? t : undefined;
      },
      30_000,
      'every delivered webhook to be counted',
    );
    const step = (activity: string, outcome = 'success') => valueOf(text, 'intake_activity_duration_seconds_count', { activity, outcome });
    expect([step('verifyUpload'), step('ingestOriginal'), step('finishUpload'), step('processImage')]).toEqual([2, 2, 2, 2]);
    expect(step('verifyUpload', 'retried_failure') + step('verifyUpload', 'rejected')).toBe(0);
    expect(valueOf(text, 'intake_scan_verdicts_total', { verdict: 'clean' })).toBe(2);
    expect(valueOf(text, 'intake_scan_verdicts_total', { verdict: 'infected' })).toBe(0);
    expect(valueOf(text, 'intake_bytes_processed_total', { step: 'ingested' })).toBe(bytes);
    expect(valueOf(text, 'intake_bytes_processed_total', { step: 'scanned' })).toBe(bytes);
    expect(valueOf(text, 'intake_uploads_finished_total', { status: 'ready', kind: 'image' })).toBe(2);
    expect(valueOf(text, 'intake_upload_processing_seconds_count', { kind: 'image' })).toBe(2);
    expect(valueOf(text, 'intake_upload_processing_seconds_sum', { kind: 'image' })).toBeGreaterThan(0);
    expect(valueOf(text, 'intake_webhook_attempts_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2);
    expect(samples(text).some((s) => s.name === 'intake_workspace_bytes')).toBe(true);

    // The API reads uploads by status and tenant from PostgreSQL at scrape time.
    const apiText = await scrape(`${apiUrl}/metrics`);
    expect(valueOf(apiText, 'intake_uploads', { status: 'ready', tenant: tenant.id })).toBe(2);
    expect(valueOf(apiText, 'intake_uploads', { status: 'awaiting_upload', tenant: tenant.id })).toBe(1);
    expect(valueOf(apiText, 'intake_webhook_endpoints', { state: 'healthy' })).toBeGreaterThanOrEqual(1);
  });

  it('METRICS_ENABLED=false: no /metrics, and uploads are created as before', async () => {
    const off = await startApi({ ADMIN_TOKEN, METRICS_TOKEN, METRICS_ENABLED: 'false' }, 'api-metrics-off');
    try {
      const res = await fetch(`${off.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect([res.status, ((await res.json()) as any).error.code]).toEqual([404, 'NOT_FOUND']);
      const created = await new ApiClient(off.url, tenant.apiKey).post('/v1/uploads', { filename: 'a.jpg', contentType: 'image/jpeg', size: 10 });
      expect(created.status).toBe(201);
    } finally {
      await off.proc.kill('SIGTERM');
    }
  });

  it("serves the Temporal SDK's metrics that the dashboard uses on TEMPORAL_METRICS_PORT", async () => {
    const names = new Set(samples(await (await fetch(sdkUrl)).text()).map((s) => s.name));
    expect(TEMPORAL_SDK_METRICS.filter((name) => !names.has(name))).toEqual([]);
  });

  it('is live and ready while polling; readiness turns 503 as soon as SIGTERM starts the drain', async () => {
    const live = await fetch(`${workerUrl}/livez`);
    expect([live.status, ((await live.json()) as any).status]).toEqual([200, 'alive']);
    const readyz = await fetch(`${workerUrl}/readyz`);
    expect([readyz.status, ((await readyz.json()) as any).checks]).toEqual([
      200,
      { draining: false, temporal: 'up', workers: 'running', disk: 'ok' },
    ]);

    // A delivery attempt held open by its consumer keeps the drain going while we look.
    const slow = await createTenant(apiUrl, ADMIN_TOKEN, consumer.url);
    await uploadFile(new ApiClient(apiUrl, slow.apiKey), images[0]!, 'image/jpeg');
    await eventually(() => (consumer.held.length > 0 ? true : undefined), 60_000, 'a webhook attempt to be in flight');

    const exited = worker.kill('SIGTERM');
    // The signal reaches the worker's event loop a moment after kill(): the first answer after it is 503.
    const draining = await eventually(
      async () => {
        const res = await fetch(`${workerUrl}/readyz`);
        return res.status === 503 ? res.json() : undefined;
      },
      5_000,
      '/readyz to answer 503',
    );
    expect(draining).toMatchObject({ status: 'draining', checks: { draining: true }, error: { code: 'DEPENDENCY_UNAVAILABLE' } });
    consumer.release();
    expect(await exited).toBe(0);
  });
});
