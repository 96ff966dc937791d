import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { createTenant, uploadFile } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'ssrf-admin-token-0123456789';

/**
 * Tenants' webhook URLs through the real API and worker processes: without an allow-list (as in
 * production) nothing private is accepted or reached; the test stack's allow-list
 * (WEBHOOK_ALLOWED_PRIVATE_HOSTS=127.0.0.1/32, from scripts/lib/stack.sh) opens loopback only.
 */
describe('webhook URLs cannot point inside (HTTP API + worker processes)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let strictAdmin: ApiClient;
  let stackAdmin: ApiClient;
  let stackApiUrl: string;
  let strictEnv: Record<string, string>;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-ssrf-'));
    await receiver.start();
    // An empty value is "unset": the production default, no exceptions.
    strictEnv = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', WEBHOOK_ALLOWED_PRIVATE_HOSTS: '' };
    const [strict, stack] = await Promise.all([
      startApi(strictEnv),
      startApi({ ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' }),
    ]);
    processes.push(strict.proc, stack.proc);
    strictAdmin = new ApiClient(strict.url, ADMIN_TOKEN);
    stackAdmin = new ApiClient(stack.url, ADMIN_TOKEN);
    stackApiUrl = stack.url;
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  const register = (admin: ApiClient, webhookUrl: string) => admin.post('/v1/admin/tenants', { name: 'ssrf', webhookUrl });

  const refused = [
    'http://127.0.0.1:3999/webhooks',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]/',
    'http://[::]/',
    'http://0.0.0.0/',
    'http://10.0.0.5/hook',
    'http://100.64.0.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://localhost:3999/webhooks',
    'http://user:pass@example.com/hook',
    'ftp://example.com/hook',
    'file:///etc/passwd',
  ];

  it.each(refused)('refuses %s at registration with 400 INVALID_WEBHOOK_URL', async (url) => {
    const res = await register(strictAdmin, url);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_WEBHOOK_URL');
    // Says why without naming any address the host resolved to.
    expect(res.body.error.message).toMatch(/^webhookUrl is not allowed: /);
    if (url.includes('localhost')) expect(res.body.error.message).not.toMatch(/127\.0\.0\.1|::1/);
  });

  it('keeps refusing everything private but the allow-listed loopback address', async () => {
    expect((await register(stackAdmin, receiver.url)).status).toBe(201);
    for (const url of ['http://127.0.0.2/', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/', 'http://user:pass@127.0.0.1/']) {
      const res = await register(stackAdmin, url);
      expect([url, res.status, res.body.error?.code]).toEqual([url, 400, 'INVALID_WEBHOOK_URL']);
    }
  });

  it('accepts a host name that does not resolve (yet): every send checks again', async () => {
    expect((await register(strictAdmin, 'https://hooks.intake-tenant.invalid/in')).status).toBe(201);
  });

  it('a worker without the allow-list never connects to a URL accepted earlier, and logs why', async () => {
    // Registered while loopback was allowed; the worker that delivers has no exception.
    const tenant = await createTenant(stackApiUrl, ADMIN_TOKEN, receiver.url);
    const worker = await startWorker(strictEnv, 'worker-strict');
    processes.push(worker);
    const id = await uploadFile(new ApiClient(stackApiUrl, tenant.apiKey), Buffer.from('hello'), 'text/plain');
    await worker.waitForLog(new RegExp(`"msg":"webhook attempt failed"[^\\n]*"uploadId":"${id}"|"uploadId":"${id}"[^\\n]*"msg":"webhook attempt failed"`), 120_000);
    const line = worker.logs.split('\n').find((l) => l.includes('webhook attempt failed') && l.includes(id))!;
    expect(JSON.parse(line)).toMatchObject({ uploadId: id, tenantId: tenant.id, category: 'loopback', reason: 'refused' });
    // The refusal is permanent (a private IP literal), so no retry will ever connect either.
    expect(receiver.requests).toHaveLength(0);
    // Task queues are shared by the whole suite: a worker that refuses loopback must not linger.
    await worker.stop();
  });
});
