import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { FullResponse, call, mintToken, setPolicy } from '../support/front-door';
import { PlatformProcess, freePort, startApi } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TcpForwarder } from '../support/tcp-forwarder';
import { createTenant } from '../support/uploader';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const TOKEN_LIMIT = 3;

/** RateLimit / RateLimit-Policy items by name: {"tenant": {q, w}} or {"tenant": {r, t}}. */
function parseItems(header: string | null): Record<string, Record<string, number>> {
  const items: Record<string, Record<string, number>> = {};
  for (const item of (header ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, ...params] = item.split(';');
    items[JSON.parse(name!)] = Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
  }
  return items;
}

/** Request until the first 429 (at most `max` tries); returns every response in order. */
async function untilLimited(send: () => Promise<FullResponse>, max = 30): Promise<FullResponse[]> {
  const responses: FullResponse[] = [];
  for (let i = 0; i < max; i++) {
    const res = await send();
    responses.push(res);
    if (res.status === 429) return responses;
  }
  throw new Error(`no 429 after ${max} requests`);
}

/** Per-tenant and per-token limits, counted in Redis and shared by every API instance. */
describe('rate limits (two API processes sharing Redis)', () => {
  const processes: PlatformProcess[] = [];
  let urlA: string;
  let urlB: string;

  beforeAll(async () => {
    const env = {
      ADMIN_TOKEN,
      WORK_DIR: join(await mkdtemp(join(tmpdir(), 'intake-ratelimit-')), 'work'),
      RATE_LIMIT_TOKEN_REQUESTS: String(TOKEN_LIMIT),
      RATE_LIMIT_TOKEN_WINDOW_SECONDS: '600',
    };
    const [a, b] = await Promise.all([startApi(env), startApi(env)]);
    processes.push(a.proc, b.proc);
    urlA = a.url;
    urlB = b.url;
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  });

  async function tenantWith(policy: Record<string, unknown>, apiUrl = urlA) {
    const tenant = await createTenant(apiUrl, ADMIN_TOKEN, 'https://example.com/hooks');
    await setPolicy(apiUrl, ADMIN_TOKEN, tenant.id, policy);
    return tenant;
  }

  it('answers 429 with Retry-After and RateLimit headers, and serves again after Retry-After', async () => {
    const tenant = await tenantWith({ rateLimit: { requests: 3, windowSeconds: 3 } });
    const responses = await untilLimited(() => call(urlA, 'GET', '/v1/tenant', tenant.apiKey));
    const limited = responses[responses.length - 1]!;
    const lastServed = responses[responses.length - 2]!;

    expect(lastServed.status).toBe(200);
    expect(parseItems(lastServed.headers.get('ratelimit-policy'))).toEqual({ tenant: { q: 3, w: 3 } });
    const served = parseItems(lastServed.headers.get('ratelimit')).tenant!;
    expect(served.r).toBe(0);
    expect(served.t).toBeGreaterThanOrEqual(0);
    expect(served.t).toBeLessThanOrEqual(3);

    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(parseItems(limited.headers.get('ratelimit-policy'))).toEqual({ tenant: { q: 3, w: 3 } });
    expect(parseItems(limited.headers.get('ratelimit')).tenant!.r).toBe(0);

    // A well-behaved client waits as told (the server's answer, not a guess), then is served.
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    const again = await call(urlA, 'GET', '/v1/tenant', tenant.apiKey);
    expect(again.status).toBe(200);
    expect(parseItems(again.headers.get('ratelimit')).tenant!.r).toBe(2);
  });

  it('limits each tenant on its own', async () => {
    const busy = await tenantWith({ rateLimit: { requests: 2, windowSeconds: 600 } });
    const quiet = await tenantWith({ rateLimit: { requests: 2, windowSeconds: 600 } });
    const responses = await untilLimited(() => call(urlA, 'GET', '/v1/tenant', busy.apiKey));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 429]);
    const other = await call(urlA, 'GET', '/v1/tenant', quiet.apiKey);
    expect(other.status).toBe(200);
    expect(parseItems(other.headers.get('ratelimit')).tenant!.r).toBe(1);
  });

  it('limits each upload token on its own, within its tenant\'s limit', async () => {
    const tenant = await createTenant(urlA, ADMIN_TOKEN, 'https://example.com/hooks');
    const api = new ApiClient(urlA, tenant.apiKey);
    const [first, second] = [await mintToken(api), await mintToken(api)];
    // Any tenant route counts, a 404 included.
    const probe = (secret: string) => call(urlA, 'GET', `/v1/uploads/${randomUUID()}`, secret);

    const responses = await untilLimited(() => probe(first));
    expect(responses.map((r) => r.status)).toEqual([...Array(TOKEN_LIMIT).fill(404), 429]);
    const limited = responses[TOKEN_LIMIT]!;
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Object.keys(parseItems(limited.headers.get('ratelimit-policy')))).toEqual(['tenant', 'token']);
    expect(parseItems(limited.headers.get('ratelimit')).token!.r).toBe(0);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    expect((await probe(second)).status).toBe(404);
    expect((await call(urlA, 'GET', '/v1/tenant', tenant.apiKey)).status).toBe(200);
  });

  it('charges the tenant only for what a token was allowed: a hammered token cannot lock out the API key', async () => {
    // The tenant allows just two requests beyond what one token may make.
    const tenant = await tenantWith({ rateLimit: { requests: TOKEN_LIMIT + 2, windowSeconds: 600 } });
    const token = await mintToken(new ApiClient(urlA, tenant.apiKey)); // counts: one tenant request
    const statuses = [];
    for (let i = 0; i < TOKEN_LIMIT + 20; i++) statuses.push((await call(urlA, 'GET', `/v1/uploads/${randomUUID()}`, token)).status);
    expect(statuses).toEqual([...Array(TOKEN_LIMIT).fill(404), ...Array(20).fill(429)]);

    const backend = await call(urlB, 'GET', '/v1/tenant', tenant.apiKey);
    expect(backend.status).toBe(200);
    expect(parseItems(backend.headers.get('ratelimit')).tenant!.r).toBe(0);
  });

  it('counts tus requests against the same limits (the tus mount is outside Nest)', async () => {
    const tenant = await tenantWith({ rateLimit: { requests: 2, windowSeconds: 600 } });
    const tusHead = () =>
      fetch(`${urlA}/v1/tus/${randomUUID()}`, { method: 'HEAD', headers: { authorization: `Bearer ${tenant.apiKey}`, 'tus-resumable': '1.0.0' } });
    expect((await call(urlA, 'GET', '/v1/tenant', tenant.apiKey)).status).toBe(200);
    const counted = await tusHead();
    expect(counted.status).toBe(404);
    expect(parseItems(counted.headers.get('ratelimit')).tenant!.r).toBe(0);
    const limited = await fetch(`${urlA}/v1/tus`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.apiKey}`, 'tus-resumable': '1.0.0', 'upload-length': '5', 'upload-metadata': 'filename aGkudHh0,filetype dGV4dC9wbGFpbg==' },
    });
    expect([limited.status, ((await limited.json()) as { error: { code: string } }).error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(urlA, 'GET', '/v1/tenant', tenant.apiKey)).status).toBe(429);
  });

  it('counts a tenant\'s requests across API instances', async () => {
    const tenant = await tenantWith({ rateLimit: { requests: 4, windowSeconds: 600 } });
    const statuses = [];
    for (const url of [urlA, urlB, urlA, urlB, urlA, urlB]) statuses.push((await call(url, 'GET', '/v1/tenant', tenant.apiKey)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  describe('while Redis is unreachable', () => {
    const tusCreate = (url: string, secret: string) =>
      fetch(`${url}/v1/tus`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'tus-resumable': '1.0.0', 'upload-length': '5', 'upload-metadata': 'filename aGkudHh0,filetype dGV4dC9wbGFpbg==' },
      });
    const bodyOf = async (res: Response) => ({ status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } });

    it('keeps serving, limiting per instance and saying so in the log; tus answers 503 and /health says degraded', async () => {
      const env = { ADMIN_TOKEN, REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
      const isolated = await startApi(env);
      processes.push(isolated.proc);
      const tenant = await tenantWith({ rateLimit: { requests: 2, windowSeconds: 600 } }, isolated.url);
      const responses = await untilLimited(() => call(isolated.url, 'GET', '/v1/tenant', tenant.apiKey));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(responses[0]!.headers.get('ratelimit')).toMatch(/"tenant";r=1;t=\d+/);
      await isolated.proc.waitForLog(/rate limiting falls back to per-instance counters/);

      // tus keeps its locks in Redis: refused with the catalogue's 503, and no upload is created.
      const other = await createTenant(isolated.url, ADMIN_TOKEN, 'https://example.com/hooks');
      const tus = await bodyOf(await tusCreate(isolated.url, other.apiKey));
      expect([tus.status, tus.body.error?.code]).toEqual([503, 'DEPENDENCY_UNAVAILABLE']);
      expect(tus.body.error?.message).not.toMatch(/redis|127\.0\.0\.1|\d{4,5}/i);
      const listed = await call(isolated.url, 'GET', '/v1/uploads', other.apiKey);
      expect([listed.status, listed.body.uploads]).toEqual([200, []]);

      const health = await call(isolated.url, 'GET', '/health');
      expect([health.status, health.body]).toEqual([
        200,
        { status: 'degraded', checks: { database: 'up', temporal: 'up', storage: 'up' }, degraded: ['redis'] },
      ]);
      // ioredis prints each failed reconnect unless someone listens for its errors.
      expect(isolated.proc.logs).not.toContain('Unhandled error event');
    });

    it('serves tus again once Redis is back, without a restart', async () => {
      const redisUrl = new URL(testConfig().REDIS_URL);
      const forwarder = new TcpForwarder(redisUrl.hostname, Number(redisUrl.port || 6379));
      const port = await forwarder.open();
      await forwarder.cut(); // Redis is "down" from the start
      try {
        const api = await startApi({ ADMIN_TOKEN, REDIS_URL: `redis://${redisUrl.hostname}:${port}` });
        processes.push(api.proc);
        const tenant = await createTenant(api.url, ADMIN_TOKEN, 'https://example.com/hooks');
        expect((await tusCreate(api.url, tenant.apiKey)).status).toBe(503);

        await forwarder.open(port);
        const created = await eventually(
          async () => {
            const res = await tusCreate(api.url, tenant.apiKey);
            return res.status === 503 ? undefined : res;
          },
          60_000,
          'tus to serve once Redis is back',
        );
        expect(created.status).toBe(201);
        const location = created.headers.get('location')!;
        const head = await fetch(location, { method: 'HEAD', headers: { authorization: `Bearer ${tenant.apiKey}`, 'tus-resumable': '1.0.0' } });
        expect([head.status, head.headers.get('upload-offset')]).toEqual([200, '0']);
        const health = await eventually(
          async () => {
            const res = await call(api.url, 'GET', '/health');
            return res.body.status === 'ok' ? res : undefined;
          },
          60_000,
          '/health to report ok',
        );
        expect(health.body).toEqual({ status: 'ok', checks: { database: 'up', temporal: 'up', storage: 'up' } });
        expect(api.proc.logs).not.toContain('Unhandled error event');
      } finally {
        await forwarder.cut();
      }
    });
  });
});
