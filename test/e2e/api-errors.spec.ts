import { randomUUID } from 'node:crypto';
import { ApiClient } from '../support/api-client';
import { PlatformProcess, freePort, startApi } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TcpForwarder } from '../support/tcp-forwarder';

const ADMIN_TOKEN = 'api-errors-admin-token-0123';

/** No host, port, driver text, URL, path or stack frame of the platform's may reach a client. */
function expectNothingLeaked(text: string, ...alsoSecret: string[]) {
  for (const secret of ['127.0.0.1', 'localhost', 'ECONNREFUSED', 'ECONNRESET', 'terminated', 'postgres', 'intake_test', 'http', ...alsoSecret]) {
    expect([secret, text.includes(secret)]).toEqual([secret, false]);
  }
  expect(text).not.toMatch(/\//); // no paths or URLs
  expect(text).not.toMatch(/\bat \S+ \(|\.js:\d+/); // no stack frames
}

async function raw(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text), requestId: res.headers.get('x-request-id') };
}

async function createTenant(api: ApiClient): Promise<string> {
  const res = await api.withToken(ADMIN_TOKEN).post('/v1/admin/tenants', { name: 'api-errors' });
  expect(res.status).toBe(201);
  return res.body.apiKey;
}

describe('API errors: honest codes, nothing leaked', () => {
  const processes: PlatformProcess[] = [];
  const env = { ADMIN_TOKEN, LOG_LEVEL: 'info' };

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  });

  describe('upload requests', () => {
    let api: ApiClient;
    let apiUrl: string;

    beforeAll(async () => {
      const started = await startApi(env);
      processes.push(started.proc);
      apiUrl = started.url;
      api = new ApiClient(apiUrl, await createTenant(new ApiClient(apiUrl)));
    });

    const upload = (fields: Record<string, unknown>) =>
      api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 10, expiresInSeconds: 60, ...fields });

    it('refuses unsafe or malformed filenames with INVALID_REQUEST, without repeating them', async () => {
      const names = [
        'evil\u0000.png', 'two\nlines.png', 'cr\r.png', 'esc\u001b[31m.png', 'del\u007f.png', 'nel\u0085.png', 'c1\u009b.png',
        'ls\u2028.png', 'ps\u2029.png', 'invoice\u202egnp.exe', 'iso\u2066.png', 'lone\ud800.png',
        '', '   ', 'x'.repeat(256), 'é'.repeat(128), // 256 UTF-8 bytes in 128 characters
      ];
      for (const filename of names) {
        const res = await upload({ filename });
        expect([JSON.stringify(filename), res.status, res.body.error.code]).toEqual([JSON.stringify(filename), 400, 'INVALID_REQUEST']);
        expect(res.body.error.message).toMatch(/^filename /);
        if (filename.trim()) expect(res.body.error.message).not.toContain(filename.slice(0, 4));
      }
    });

    it('refuses content types that are not a bare type/subtype with INVALID_REQUEST (the PUT signs it verbatim)', async () => {
      const types = [
        'image/png; charset=x', 'text/plain;charset=utf-8', 'image/png\r\nX-Amz-Acl: public-read', 'image/png\n', ' image/png',
        'image/png ', 'image /png', 'image/', 'image', 'image/png/x', 'image/"png"', 'imáge/png', `${'a'.repeat(128)}/png`,
      ];
      for (const contentType of types) {
        const res = await upload({ contentType });
        expect([JSON.stringify(contentType), res.status, res.body.error.code]).toEqual([JSON.stringify(contentType), 400, 'INVALID_REQUEST']);
        expect(res.body.error.message).not.toMatch(/charset|X-Amz|png/);
      }
    });

    it('keeps VALIDATION_FAILED for missing or mistyped fields and UNSUPPORTED_TYPE for a disallowed type', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ filename: undefined }, 'VALIDATION_FAILED'],
        [{ filename: 42 }, 'VALIDATION_FAILED'],
        [{ contentType: ['image/png'] }, 'VALIDATION_FAILED'],
        [{ filename: 'nul\u0000', size: 'ten' }, 'VALIDATION_FAILED'], // a structural problem wins
        [{ contentType: 'application/x-msdownload' }, 'UNSUPPORTED_TYPE'],
      ];
      for (const [fields, code] of cases) {
        const res = await upload(fields);
        expect([fields, res.status, res.body.error.code]).toEqual([fields, 400, code]);
      }
    });

    it('accepts ordinary Unicode names up to 255 UTF-8 bytes and signs exactly the bare type', async () => {
      for (const filename of ['Fotó 2024 – 東京 (1).jpg', `${'é'.repeat(127)}x`]) {
        const res = await upload({ filename, contentType: 'image/jpeg' });
        expect(res.status).toBe(201);
        expect(res.body.upload.headers['Content-Type']).toBe('image/jpeg');
        expect((await api.get(`/v1/uploads/${res.body.id}`)).body.filename).toBe(filename);
      }
    });

    it("answers Nest's and the body parser's own errors from the catalogue, never echoing the request", async () => {
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const route = await raw(`${apiUrl}/v1/evil%3Cscript%3Ealert(1)`);
      expect([route.status, route.body]).toEqual([404, { error: { code: 'NOT_FOUND', message: 'Route not found' } }]);

      const param = await raw(`${apiUrl}/v1/uploads/%E0%A4%A-evil`, { headers });
      expect(param.status).toBe(400);
      expect(param.text).not.toMatch(/%E0|evil|decode/i);

      const unknownField = await raw(`${apiUrl}/v1/admin/tenants`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'x', '\u001b[31m<b>evil': 1 }),
      });
      expect([unknownField.status, unknownField.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(unknownField.text).not.toMatch(/evil|<b>|\\u001b/);

      const charset = await raw(`${apiUrl}/v1/admin/tenants`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json; charset=evil-8' },
        body: '{"name":"x"}',
      });
      expect([charset.status, charset.body.error.code]).toEqual([415, 'INVALID_REQUEST']);
      expect(charset.text).not.toMatch(/evil/i);

      const encoding = await raw(`${apiUrl}/v1/admin/tenants`, {
        method: 'POST',
        headers: { ...headers, 'content-encoding': 'x-evil' },
        body: '{"name":"x"}',
      });
      expect([encoding.status, encoding.body.error.code]).toEqual([415, 'INVALID_REQUEST']);
      expect(encoding.text).not.toMatch(/evil/i);

      // Every answer carries the id its log lines are keyed by.
      for (const res of [route, param, unknownField, charset, encoding]) expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('when PostgreSQL goes away under a running API', () => {
    const config = testConfig();
    const dbUrl = new URL(config.DATABASE_URL);
    const forwarder = new TcpForwarder(dbUrl.hostname, Number(dbUrl.port || 5432));
    let proc: PlatformProcess;
    let apiUrl: string;
    let api: ApiClient;
    let apiKey: string;
    let uploadId: string;

    beforeAll(async () => {
      const port = await forwarder.open();
      const viaForwarder = new URL(config.DATABASE_URL);
      viaForwarder.host = `127.0.0.1:${port}`;
      const started = await startApi({ ...env, DATABASE_URL: viaForwarder.toString() });
      proc = started.proc;
      processes.push(proc);
      apiUrl = started.url;
      apiKey = await createTenant(new ApiClient(apiUrl));
      api = new ApiClient(apiUrl, apiKey);
      const created = await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 10 });
      expect(created.status).toBe(201);
      uploadId = created.body.id;
      await forwarder.cut();
    });

    afterAll(() => forwarder.cut());

    it('reports only the database as down on /health, with no error text', async () => {
      const health = await eventually(
        async () => {
          const res = await raw(`${apiUrl}/health`);
          return res.body.checks?.database === 'down' && res.body.checks.temporal === 'up' && res.body.checks.storage === 'up'
            ? res
            : undefined;
        },
        60_000,
        '/health to report the database (only) down',
      );
      expect([health.status, health.body]).toEqual([
        503,
        {
          status: 'unavailable',
          checks: { database: 'down', temporal: 'up', storage: 'up' },
          error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'Unavailable: database' },
        },
      ]);
      expectNothingLeaked(health.text, String(forwarder.port), dbUrl.port || '5432');
    });

    it('answers 503 DEPENDENCY_UNAVAILABLE on every route that needs it, and logs the cause by request id', async () => {
      const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const calls: Array<[string, string, Record<string, string>, string?]> = [
        ['POST', '/v1/uploads', auth, JSON.stringify({ filename: 'a.png', contentType: 'image/png', size: 10 })],
        ['GET', `/v1/uploads/${uploadId}`, auth],
        ['POST', `/v1/uploads/${uploadId}/complete`, auth],
        ['POST', '/v1/admin/tenants', admin, JSON.stringify({ name: 'during-outage' })],
      ];
      for (const [method, path, headers, body] of calls) {
        const res = await raw(`${apiUrl}${path}`, { method, headers, body });
        expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 503, 'DEPENDENCY_UNAVAILABLE']);
        expectNothingLeaked(res.text, String(forwarder.port), dbUrl.port || '5432');

        // The cause is in the log, as JSON, under the id the client was given.
        const line = await eventually(
          () => proc.logs.split('\n').find((l) => l.includes(`"requestId":"${res.requestId}"`)),
          30_000,
          `a log line for request ${res.requestId}`,
        );
        const logged = JSON.parse(line);
        expect(logged).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', msg: 'request failed' });
        expect(typeof logged.err.message).toBe('string');
      }
    });

    it('recovers without a restart when the database is back', async () => {
      await forwarder.open(forwarder.port);
      await eventually(async () => ((await fetch(`${apiUrl}/health`)).status === 200 ? true : undefined), 60_000, '/health 200');
      expect((await api.get(`/v1/uploads/${uploadId}`)).status).toBe(200);
      expect((await api.post('/v1/uploads', { filename: 'b.png', contentType: 'image/png', size: 10 })).status).toBe(201);
    });
  });

  describe('when object storage is unreachable', () => {
    let apiUrl: string;
    let api: ApiClient;
    let apiKey: string;
    let s3Port: number;

    beforeAll(async () => {
      s3Port = await freePort(); // nothing listens there
      const port = await freePort();
      const proc = PlatformProcess.spawn('api-no-s3', 'main', {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      });
      processes.push(proc);
      apiUrl = `http://127.0.0.1:${port}`;
      await proc.waitForLog(/"msg":"api listening"/); // startApi would wait for a 200 that never comes
      apiKey = await createTenant(new ApiClient(apiUrl));
      api = new ApiClient(apiUrl, apiKey);
    });

    it('reports only storage as down on /health, with no error text', async () => {
      const health = await eventually(
        async () => {
          const res = await raw(`${apiUrl}/health`);
          return res.body.checks?.storage === 'down' && res.body.checks.database === 'up' && res.body.checks.temporal === 'up'
            ? res
            : undefined;
        },
        60_000,
        '/health to report storage (only) down',
      );
      expect([health.status, health.body.status, health.body.error]).toEqual([
        503,
        'unavailable',
        { code: 'DEPENDENCY_UNAVAILABLE', message: 'Unavailable: storage' },
      ]);
      expectNothingLeaked(health.text, String(s3Port));
    });

    it('answers complete with 503 DEPENDENCY_UNAVAILABLE and leaves the upload as it was', async () => {
      // Creating needs no storage round trip: the PUT URL is signed locally.
      const created = await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 10 });
      expect(created.status).toBe(201);
      const res = await raw(`${apiUrl}/v1/uploads/${created.body.id}/complete`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect([res.status, res.body]).toEqual([
        503,
        { error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'Object storage is unavailable, try again shortly' } },
      ]);
      expectNothingLeaked(res.text, String(s3Port));
      expect((await api.get(`/v1/uploads/${created.body.id}`)).body.status).toBe('awaiting_upload');
      expect((await api.get(`/v1/uploads/${randomUUID()}`)).status).toBe(404);
    });
  });
});
