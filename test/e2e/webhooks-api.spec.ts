import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryView } from '../../src/webhooks/webhook-views';
import { ApiClient } from '../support/api-client';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually } from '../support/stack';
import { uploadFile } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';
import { WebhookTenant } from '../support/webhook-tenant';

const ADMIN_TOKEN = 'webhooks-api-admin-token-0123456';
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

const text = () => Buffer.from(`hello ${Math.random()}`);

/** The endpoints API and the delivery log through the real API and worker processes. */
describe('webhook endpoints and delivery log (HTTP API + worker processes)', () => {
  const receivers: WebhookReceiver[] = [];
  const processes: PlatformProcess[] = [];
  let apiUrl: string;
  let strictUrl: string;

  const receiver = async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-webhooks-api-'));
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', WEBHOOK_RETRY_SCHEDULE: '0s,1s,1s,1s' };
    const [api, strict, worker] = await Promise.all([
      startApi(env),
      // An empty value is "unset": production's default, no private address allowed.
      startApi({ ...env, WEBHOOK_ALLOWED_PRIVATE_HOSTS: '' }, 'api-strict'),
      startWorker(env),
    ]);
    processes.push(api.proc, strict.proc, worker);
    apiUrl = api.url;
    strictUrl = strict.url;
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await Promise.all(receivers.map((r) => r.stop()));
  });

  describe('with two uploads delivered to a healthy and a failing endpoint', () => {
    let owner: WebhookTenant;
    let healthy: WebhookReceiver;
    let healthyId: string;
    let failingId: string;
    let uploads: string[];
    // 2 KB of text: the log keeps the first 1 KB of an answer.
    const bigBody = Array.from({ length: 2048 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

    beforeAll(async () => {
      healthy = await receiver();
      const failing = await receiver();
      failing.answers = Array(8).fill(500);
      failing.answerBody = bigBody;
      owner = await WebhookTenant.create(apiUrl, ADMIN_TOKEN);
      healthyId = (await owner.addEndpoint(healthy.url)).id;
      failingId = (await owner.addEndpoint(failing.url, ['upload.ready'])).id;
      // One after the other: the second upload's events are then the newest whatever the load
      // (processed side by side, the first could finish last).
      uploads = [];
      for (let i = 0; i < 2; i++) {
        const id = await uploadFile(owner.api, text(), 'text/plain');
        uploads.push(id);
        await owner.ended(healthyId, id, 'upload.processing');
        await owner.ended(healthyId, id, 'upload.ready');
        await owner.ended(failingId, id, 'upload.ready');
      }
    });

    it('lists deliveries newest first, filtered by endpoint, upload and status', async () => {
      const all = (await owner.deliveries()).items;
      expect(all).toHaveLength(6);
      // createdAt shows milliseconds; the log orders by the database's microseconds (then id).
      const order = all.map((d) => d.createdAt);
      expect(order).toEqual([...order].sort().reverse());
      // The second upload's events happened last.
      expect(all[0]!.uploadId).toBe(uploads[1]);

      const ids = (items: DeliveryView[]) => items.map((d) => d.id);
      const byEndpoint = (await owner.deliveries(`endpointId=${failingId}`)).items;
      expect(byEndpoint.map((d) => [d.endpointId, d.eventType])).toEqual([
        [failingId, 'upload.ready'],
        [failingId, 'upload.ready'],
      ]);
      const byUpload = (await owner.deliveries(`uploadId=${uploads[0]}`)).items;
      expect(ids(byUpload)).toEqual(ids(all.filter((d) => d.uploadId === uploads[0])));
      expect(byUpload).toHaveLength(3);
      expect(ids((await owner.deliveries('status=failed')).items)).toEqual(ids(byEndpoint));
      expect(ids((await owner.deliveries('status=succeeded')).items)).toEqual(ids(all.filter((d) => d.endpointId === healthyId)));
      expect((await owner.deliveries('status=pending')).items).toEqual([]);
      expect((await owner.api.get('/v1/webhooks/deliveries?status=lost')).status).toBe(400);
    });

    it('walks every delivery one page at a time with the cursor', async () => {
      const all = (await owner.deliveries()).items.map((d) => d.id);
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: DeliveryView[]; nextCursor: string | null } } = await owner.api.get(
          `/v1/webhooks/deliveries?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(1);
        walked.push(...page.body.items.map((d) => d.id));
        cursor = page.body.nextCursor;
      } while (cursor && walked.length <= all.length);
      expect(walked).toEqual(all);
    });

    it('shows one delivery with its attempts, keeping at most 1 KB of each answer', async () => {
      const [failed] = (await owner.deliveries(`endpointId=${failingId}&uploadId=${uploads[0]}`)).items;
      const res = await owner.api.get(`/v1/webhooks/deliveries/${failed!.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(failed);
      expect(res.body).toMatchObject({ status: 'failed', failureReason: 'exhausted', webhookId: `msg_${uploads[0]}_ready` });
      expect(res.body.attempts).toHaveLength(4);
      for (const attempt of res.body.attempts as DeliveryView['attempts']) {
        expect(attempt.statusCode).toBe(500);
        expect(Buffer.byteLength(attempt.response!)).toBeLessThanOrEqual(1024);
        expect(attempt.response!.length).toBeGreaterThan(0);
        expect(bigBody.startsWith(attempt.response!)).toBe(true);
      }
      expect((await owner.api.get(`/v1/webhooks/deliveries/${NO_SUCH_ID}`)).body.error.code).toBe('WEBHOOK_DELIVERY_NOT_FOUND');
    });

    it('replays a delivery with the same webhook-id as one more attempt, but not to a disabled endpoint', async () => {
      const [delivery] = (await owner.deliveries(`endpointId=${healthyId}&uploadId=${uploads[0]}&status=succeeded`)).items.filter(
        (d) => d.eventType === 'upload.ready',
      );
      const sameId = () => healthy.requests.filter((r) => r.id === delivery!.webhookId);
      const before = sameId().length;
      const replay = await owner.api.post(`/v1/webhooks/deliveries/${delivery!.id}/replay`);
      expect(replay.status).toBe(202);
      expect(replay.body.id).toBe(delivery!.id);
      const again = await eventually(() => sameId()[before], 30_000, 'the replayed delivery');
      expect(again.body.type).toBe('upload.ready');
      await eventually(
        async () => ((await owner.api.get(`/v1/webhooks/deliveries/${delivery!.id}`)).body.attempts.length === delivery!.attempts.length + 1 ? true : undefined),
        30_000,
        'the replay to appear in the log',
      );

      expect((await owner.api.call('PATCH', `/v1/webhooks/endpoints/${healthyId}`, { enabled: false })).body).toMatchObject({
        enabled: false,
        status: 'disabled',
        disabledReason: 'disabled_by_tenant',
      });
      const refused = await owner.api.post(`/v1/webhooks/deliveries/${delivery!.id}/replay`);
      expect([refused.status, refused.body.error.code]).toEqual([409, 'WEBHOOK_ENDPOINT_DISABLED']);
      expect((await owner.api.call('PATCH', `/v1/webhooks/endpoints/${healthyId}`, { enabled: true })).status).toBe(200);
    });

    it("keeps one tenant's endpoints and deliveries out of another's reach", async () => {
      const other = await WebhookTenant.create(apiUrl, ADMIN_TOKEN);
      await other.addEndpoint((await receiver()).url);
      const [delivery] = (await owner.deliveries()).items;
      const notFound = async (method: string, path: string, body?: unknown) => {
        const res = await other.api.call(method, path, body);
        return [method, path, res.status, res.body?.error?.code];
      };
      const deliveryPath = `/v1/webhooks/deliveries/${delivery!.id}`;
      const endpointPath = `/v1/webhooks/endpoints/${healthyId}`;
      expect(await notFound('GET', deliveryPath)).toEqual(['GET', deliveryPath, 404, 'WEBHOOK_DELIVERY_NOT_FOUND']);
      expect(await notFound('POST', `${deliveryPath}/replay`)).toEqual(['POST', `${deliveryPath}/replay`, 404, 'WEBHOOK_DELIVERY_NOT_FOUND']);
      for (const [method, path, body] of [
        ['GET', endpointPath],
        ['PATCH', endpointPath, { enabled: false }],
        ['DELETE', endpointPath],
        ['POST', `${endpointPath}/rotate-secret`],
      ] as Array<[string, string, unknown?]>) {
        expect(await notFound(method, path, body)).toEqual([method, path, 404, 'WEBHOOK_ENDPOINT_NOT_FOUND']);
      }
      expect((await other.deliveries()).items).toEqual([]);
      expect((await other.deliveries(`endpointId=${healthyId}`)).items).toEqual([]);
      expect((await other.api.get('/v1/webhooks/endpoints')).body.items.map((e: { id: string }) => e.id)).not.toContain(healthyId);
      // Untouched by all of that.
      expect(await owner.endpoint(healthyId)).toMatchObject({ enabled: true, status: 'healthy' });
    });

    it('refuses upload tokens with 403 TOKEN_NOT_PERMITTED', async () => {
      const minted = await owner.api.post('/v1/upload-tokens', {});
      const token = owner.api.withToken(minted.body.token);
      const [delivery] = (await owner.deliveries()).items;
      for (const [method, path, body] of [
        ['GET', '/v1/webhooks/endpoints'],
        ['POST', '/v1/webhooks/endpoints', { url: healthy.url }],
        ['GET', `/v1/webhooks/endpoints/${healthyId}`],
        ['PATCH', `/v1/webhooks/endpoints/${healthyId}`, { enabled: false }],
        ['DELETE', `/v1/webhooks/endpoints/${healthyId}`],
        ['POST', `/v1/webhooks/endpoints/${healthyId}/rotate-secret`],
        ['GET', '/v1/webhooks/deliveries'],
        ['GET', `/v1/webhooks/deliveries/${delivery!.id}`],
        ['POST', `/v1/webhooks/deliveries/${delivery!.id}/replay`],
      ] as Array<[string, string, unknown?]>) {
        const res = await token.call(method, path, body);
        expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 403, 'TOKEN_NOT_PERMITTED']);
      }
      expect(await owner.endpoint(healthyId)).toMatchObject({ enabled: true });
    });
  });

  describe('endpoint management', () => {
    let owner: WebhookTenant;
    let url: string;

    beforeAll(async () => {
      owner = await WebhookTenant.create(apiUrl, ADMIN_TOKEN);
      url = (await receiver()).url;
    });

    it('refuses unknown, empty or misshapen event filters with 400 VALIDATION_FAILED', async () => {
      for (const events of [['upload.nope'], [], 'upload.ready', ['upload.ready', 'upload.ready']]) {
        const res = await owner.api.post('/v1/webhooks/endpoints', { url, events });
        expect([events, res.status, res.body.error.code]).toEqual([events, 400, 'VALIDATION_FAILED']);
      }
      const { id } = await owner.addEndpoint(url);
      const res = await owner.api.call('PATCH', `/v1/webhooks/endpoints/${id}`, { events: ['upload.nope'] });
      expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      // null may reset events (every type) but cannot switch an endpoint or its URL to nothing.
      for (const body of [{ enabled: null }, { url: null }, { enabled: 'yes' }]) {
        const patched = await owner.api.call('PATCH', `/v1/webhooks/endpoints/${id}`, body);
        expect([body, patched.status, patched.body.error.code]).toEqual([body, 400, 'VALIDATION_FAILED']);
      }
      expect(await owner.endpoint(id)).toMatchObject({ events: null, enabled: true, url });
    });

    it('refuses private URLs with 400 INVALID_WEBHOOK_URL at creation and on change', async () => {
      const created = await owner.api.post('/v1/webhooks/endpoints', { url: 'http://10.0.0.5/hook' });
      expect([created.status, created.body.error.code]).toEqual([400, 'INVALID_WEBHOOK_URL']);
      const { id } = await owner.addEndpoint(url, ['upload.ready']);
      const changed = await owner.api.call('PATCH', `/v1/webhooks/endpoints/${id}`, { url: 'http://169.254.169.254/latest' });
      expect([changed.status, changed.body.error.code]).toEqual([400, 'INVALID_WEBHOOK_URL']);
      expect((await owner.endpoint(id)).url).toBe(url);

      // Loopback is allowed only by the test stack's WEBHOOK_ALLOWED_PRIVATE_HOSTS.
      const strict = new ApiClient(strictUrl, owner.apiKey);
      const refused = await strict.post('/v1/webhooks/endpoints', { url });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'INVALID_WEBHOOK_URL']);
      const refusedChange = await strict.call('PATCH', `/v1/webhooks/endpoints/${id}`, { url: `${url}/other` });
      expect([refusedChange.status, refusedChange.body.error.code]).toEqual([400, 'INVALID_WEBHOOK_URL']);
    });

    it('deletes an endpoint: 204, then 404', async () => {
      const { id } = await owner.addEndpoint(url);
      expect((await owner.api.call('DELETE', `/v1/webhooks/endpoints/${id}`)).status).toBe(204);
      expect((await owner.api.get(`/v1/webhooks/endpoints/${id}`)).body.error.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
      const again = await owner.api.call('DELETE', `/v1/webhooks/endpoints/${id}`);
      expect([again.status, again.body.error.code]).toEqual([404, 'WEBHOOK_ENDPOINT_NOT_FOUND']);
      expect((await owner.api.get('/v1/webhooks/endpoints')).body.items.map((e: { id: string }) => e.id)).not.toContain(id);
    });

    it("makes the operator's webhookUrl the tenant's first endpoint, signing with webhookSecret", async () => {
      const consumer = await receiver();
      const admin = new ApiClient(apiUrl, ADMIN_TOKEN);
      const bare = await admin.post('/v1/admin/tenants', { name: 'no-hooks' });
      expect(bare.body).toMatchObject({ webhookEndpointId: null, webhookSecret: null });
      expect((await new ApiClient(apiUrl, bare.body.apiKey).get('/v1/webhooks/endpoints')).body).toEqual({ items: [] });

      const created = await admin.post('/v1/admin/tenants', { name: 'hooks', webhookUrl: consumer.url });
      expect(created.status).toBe(201);
      const api = new ApiClient(apiUrl, created.body.apiKey);
      const listed = (await api.get('/v1/webhooks/endpoints')).body.items;
      expect(listed).toEqual([
        expect.objectContaining({ id: created.body.webhookEndpointId, url: consumer.url, events: null, enabled: true, status: 'healthy' }),
      ]);
      const id = await uploadFile(api, text(), 'text/plain');
      const hook = await eventually(() => consumer.outcomes(id)[0], 60_000, 'the upload.ready webhook');
      expect(WebhookReceiver.verify(hook, created.body.webhookSecret)).toMatchObject({ type: 'upload.ready', data: { id } });
    });
  });
});
