import { Client, Connection } from '@temporalio/client';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookIdFor } from '../../src/webhooks/event-publisher';
import { webhookEventWorkflowIdFor } from '../../workflows/contract';
import { ApiClient } from '../support/api-client';
import { connectionRecorder } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { uploadFile } from '../support/uploader';
import { ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';
import { signaturesIn, WebhookTenant } from '../support/webhook-tenant';

const ADMIN_TOKEN = 'webhooks-delivery-admin-token-0123';
// Four attempts a second apart: a whole schedule fails in ~3 s.
const SCHEDULE = '0s,1s,1s,1s';
const GRACE_SECONDS = 6;

const text = () => Buffer.from(`hello ${Math.random()}`);
const readyOf = (receiver: WebhookReceiver, uploadId: string): ReceivedWebhook[] =>
  receiver.requests.filter((r) => r.body.data?.id === uploadId && r.body.type === 'upload.ready');

/** Durable webhooks through the real API and worker processes, to real consumers on loopback. */
describe('webhook delivery (HTTP API + worker processes)', () => {
  const receivers: WebhookReceiver[] = [];
  const processes: PlatformProcess[] = [];
  let env: Record<string, string>;
  let apiUrl: string;
  let temporal: Client;
  /** The worker the tests share; the first test replaces it (kills one, starts another). */
  let worker: PlatformProcess | undefined;
  const ensureWorker = async () => {
    if (worker?.running) return;
    worker = await startWorker(env);
    processes.push(worker);
  };

  const receiver = async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  };
  const tenant = () => WebhookTenant.create(apiUrl, ADMIN_TOKEN);

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-webhooks-'));
    env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', WEBHOOK_RETRY_SCHEDULE: SCHEDULE };
    const api = await startApi({ ...env, WEBHOOK_SECRET_GRACE_SECONDS: String(GRACE_SECONDS) });
    processes.push(api.proc);
    apiUrl = api.url;
    temporal = new Client({ connection: await Connection.connect({ address: testConfig().TEMPORAL_ADDRESS }) });
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await temporal?.connection.close();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  it('retries 500s with the same webhook-id, freshly signed, across a worker killed between attempts', async () => {
    // The killed worker must be the only one; a long second delay leaves time to kill it while the
    // delivery sleeps on its timer.
    await worker?.stop();
    const first = await startWorker({ ...env, WEBHOOK_RETRY_SCHEDULE: '0s,4s,1s,1s' }, 'worker-a');
    processes.push(first);
    const consumer = await receiver();
    // The first endpoint made by the operator's tenant creation signs with the answer's webhookSecret.
    const created = await new ApiClient(apiUrl, ADMIN_TOKEN).post('/v1/admin/tenants', { name: 'retries', webhookUrl: consumer.url });
    const owner = new WebhookTenant(apiUrl, created.body.apiKey);
    const endpointId: string = created.body.webhookEndpointId;
    expect((await owner.api.call('PATCH', `/v1/webhooks/endpoints/${endpointId}`, { events: ['upload.ready'] })).status).toBe(200);
    consumer.answers = [500, 500];

    const id = await uploadFile(owner.api, text(), 'text/plain');
    const webhookId = webhookIdFor(id, 'upload.ready');
    // Killed between attempts: the first attempt is recorded and the workflow sleeps on its timer.
    await eventually(
      async () => {
        const history = await temporal.workflow.getHandle(webhookEventWorkflowIdFor(webhookId)).fetchHistory();
        return history.events?.some((e) => e.timerStartedEventAttributes) ? true : undefined;
      },
      60_000,
      'the delivery to wait for its second attempt',
    );
    await first.kill('SIGKILL');
    expect(readyOf(consumer, id)).toHaveLength(1);
    worker = await startWorker(env, 'worker-b');
    processes.push(worker);

    const delivery = await owner.ended(endpointId, id, 'upload.ready');
    expect(delivery).toMatchObject({ status: 'succeeded', failureReason: null, webhookId });
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    expect(delivery.attempts.every((a) => typeof a.latencyMs === 'number')).toBe(true);

    // The delivery has ended: every request the consumer saw is one of the logged attempts.
    const requests = readyOf(consumer, id);
    expect(requests).toHaveLength(3);
    expect(consumer.received.filter((r) => r.body.type === 'upload.ready')).toHaveLength(1);
    expect(new Set(requests.map((r) => r.id))).toEqual(new Set([webhookId]));
    for (const r of requests) expect(WebhookReceiver.verify(r, created.body.webhookSecret)).toMatchObject({ type: 'upload.ready' });
    const stamps = requests.map((r) => Number(r.headers['webhook-timestamp']));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(3);
    expect(new Set(requests.map((r) => r.headers['webhook-signature'])).size).toBe(3);
  });

  describe('on a running worker', () => {
    beforeEach(ensureWorker);

    it('sends each endpoint the events it asked for, each signed with its own secret', async () => {
      const [all, readyOnly] = [await receiver(), await receiver()];
      const owner = await tenant();
      const a = await owner.addEndpoint(all.url);
      const b = await owner.addEndpoint(readyOnly.url, ['upload.ready']);
      const id = await uploadFile(owner.api, text(), 'text/plain');

      const types = (r: WebhookReceiver) => r.forUpload(id).map((w) => w.body.type).sort();
      await eventually(() => (types(all).length === 2 ? true : undefined), 60_000, 'both events at endpoint A');
      expect(types(all)).toEqual(['upload.processing', 'upload.ready']);
      await eventually(() => readyOnly.forUpload(id)[0], 60_000, 'upload.ready at endpoint B');
      // upload.processing was recorded (A got it), with every delivery it would ever have: none for B.
      const forB = await owner.deliveries(`endpointId=${b.id}&uploadId=${id}`);
      expect(forB.items.map((d) => d.eventType)).toEqual(['upload.ready']);
      expect(readyOnly.requests.map((r) => r.body.type)).toEqual(['upload.ready']);

      // The event's data is the upload as it was: a consumer going by data.status (as docs/api.md
      // advises for out-of-order events) must see `processing`, not the state before the bytes came.
      const processing = all.forUpload(id).find((w) => w.body.type === 'upload.processing')!;
      expect(processing.body.data).toMatchObject({ status: 'processing' });
      const readyAtA = all.forUpload(id).find((w) => w.body.type === 'upload.ready')!;
      const readyAtB = readyOnly.forUpload(id)[0]!;
      expect(readyAtA.id).toBe(webhookIdFor(id, 'upload.ready'));
      expect(readyAtB.id).toBe(readyAtA.id);
      expect(WebhookReceiver.verify(readyAtA, a.secret)).toMatchObject({ data: { id, status: 'ready' } });
      expect(WebhookReceiver.verify(readyAtB, b.secret)).toMatchObject({ data: { id, status: 'ready' } });
      expect(() => WebhookReceiver.verify(readyAtA, b.secret)).toThrow();
      expect(() => WebhookReceiver.verify(readyAtB, a.secret)).toThrow();
    });

    it('signs with both secrets during a rotation, then with the new one only', async () => {
      const consumer = await receiver();
      const owner = await tenant();
      const endpoint = await owner.addEndpoint(consumer.url, ['upload.ready']);
      const first = await uploadFile(owner.api, text(), 'text/plain');
      const delivered = await owner.ended(endpoint.id, first, 'upload.ready');
      expect(signaturesIn(consumer.requests[0]!.headers['webhook-signature'])).toHaveLength(1);

      const rotated = await owner.api.post(`/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(endpoint.secret);
      const graceEnds = Date.parse(rotated.body.previousSecretExpiresAt);
      expect(graceEnds).toBeGreaterThan(Date.now());

      // A replay is the quickest delivery to make within the grace.
      expect((await owner.api.post(`/v1/webhooks/deliveries/${delivered.id}/replay`)).status).toBe(202);
      const during = await eventually(() => consumer.requests[1], 30_000, 'the replay during the grace');
      expect(Date.now()).toBeLessThan(graceEnds); // else this run proves nothing: raise GRACE_SECONDS
      expect(signaturesIn(during.headers['webhook-signature'])).toHaveLength(2);
      expect(WebhookReceiver.verify(during, endpoint.secret)).toMatchObject({ type: 'upload.ready' });
      expect(WebhookReceiver.verify(during, rotated.body.secret)).toMatchObject({ type: 'upload.ready' });

      await eventually(() => (Date.now() > graceEnds ? true : undefined), (GRACE_SECONDS + 5) * 1000, 'the grace to end');
      expect((await owner.endpoint(endpoint.id)).previousSecretExpiresAt).toBeNull();
      const second = await uploadFile(owner.api, text(), 'text/plain');
      const after = await eventually(() => consumer.forUpload(second)[0], 60_000, 'a delivery after the grace');
      expect(signaturesIn(after.headers['webhook-signature'])).toHaveLength(1);
      expect(WebhookReceiver.verify(after, rotated.body.secret)).toMatchObject({ data: { id: second } });
      expect(() => WebhookReceiver.verify(after, endpoint.secret)).toThrow();
    });

    it('disables an endpoint that answers 410 Gone until the tenant enables it again', async () => {
      const [gone, witness] = [await receiver(), await receiver()];
      const owner = await tenant();
      const endpoint = await owner.addEndpoint(gone.url, ['upload.ready']);
      await owner.addEndpoint(witness.url, ['upload.ready']);
      gone.answers = [410];

      const first = await uploadFile(owner.api, text(), 'text/plain');
      const delivery = await owner.ended(endpoint.id, first, 'upload.ready');
      expect(delivery).toMatchObject({ status: 'failed', failureReason: 'endpoint_gone' });
      expect(delivery.attempts.map((a) => a.statusCode)).toEqual([410]);
      expect(await owner.endpoint(endpoint.id)).toMatchObject({ enabled: false, status: 'disabled', disabledReason: 'gone' });

      const second = await uploadFile(owner.api, text(), 'text/plain');
      // The witness got the event, so it was recorded with every delivery it will ever have.
      await eventually(() => witness.forUpload(second)[0], 60_000, 'the witness to get the second upload.ready');
      expect((await owner.deliveries(`endpointId=${endpoint.id}&uploadId=${second}`)).items).toEqual([]);
      expect(gone.requests).toHaveLength(1);

      const enabled = await owner.api.call('PATCH', `/v1/webhooks/endpoints/${endpoint.id}`, { enabled: true });
      expect(enabled.status).toBe(200);
      expect(enabled.body).toMatchObject({ enabled: true, status: 'healthy', disabledReason: null });
      const third = await uploadFile(owner.api, text(), 'text/plain');
      expect(await owner.ended(endpoint.id, third, 'upload.ready')).toMatchObject({ status: 'succeeded' });
      expect(gone.forUpload(third).map((w) => w.body.type)).toEqual(['upload.ready']);
    });

    it('does not follow a redirect: the 302 is a failed attempt and its target sees no connection', async () => {
      const target = await connectionRecorder();
      try {
        const consumer = await receiver();
        consumer.redirectTo = target.url;
        consumer.answers = [302];
        const owner = await tenant();
        const endpoint = await owner.addEndpoint(consumer.url, ['upload.ready']);
        const id = await uploadFile(owner.api, text(), 'text/plain');

        const delivery = await owner.ended(endpoint.id, id, 'upload.ready');
        expect(delivery.status).toBe('succeeded');
        expect(delivery.attempts.map((a) => a.statusCode)).toEqual([302, 204]);
        expect(delivery.attempts[0]!.error).toMatch(/redirects are not followed/);
        expect(target.connections()).toBe(0);
      } finally {
        await target.close();
      }
    });

    it('marks an endpoint failing when a schedule runs out, keeps delivering to it, and heals on a success', async () => {
      const consumer = await receiver();
      const owner = await tenant();
      const endpoint = await owner.addEndpoint(consumer.url, ['upload.ready']);
      consumer.answers = [500, 500, 500, 500];

      const first = await uploadFile(owner.api, text(), 'text/plain');
      const failed = await owner.ended(endpoint.id, first, 'upload.ready');
      expect(failed).toMatchObject({ status: 'failed', failureReason: 'exhausted', nextAttemptAt: null });
      expect(failed.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500]);
      const failing = await owner.endpoint(endpoint.id);
      expect(failing).toMatchObject({ enabled: true, status: 'failing' });
      expect(Date.parse(failing.failingSince!)).not.toBeNaN();
      expect(readyOf(consumer, first)).toHaveLength(4);

      consumer.answers = [500];
      const second = await uploadFile(owner.api, text(), 'text/plain');
      const healed = await owner.ended(endpoint.id, second, 'upload.ready');
      expect(healed.status).toBe('succeeded');
      expect(healed.attempts.map((a) => a.statusCode)).toEqual([500, 204]);
      expect(await owner.endpoint(endpoint.id)).toMatchObject({ status: 'healthy', failingSince: null });
    });
  });
});
