import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { WEBHOOK_ACTIVITIES, createActivities } from '../../activities';
import { webhookIdFor } from '../../src/webhooks/event-publisher';
import { TASK_QUEUES, webhookEventWorkflowIdFor } from '../../workflows/contract';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';
import { eventually } from '../support/stack';
import { WebhookReceiver } from '../support/webhook-receiver';

const pick = <T extends object, K extends keyof T>(obj: T, keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, obj[k]])) as Pick<T, K>;

/**
 * Publishing an event and delivering it on its schedule, on the real Temporal server with a real
 * HTTP consumer that verifies like a consumer would (standardwebhooks). The schedule is shortened
 * to three attempts 300 ms apart; the worker here is the webhooks queue's only poller.
 */
describe('webhook events and their delivery (Temporal, PostgreSQL, S3, HTTP consumer)', () => {
  let deps: RealDeps;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    deps = await realDeps({ WEBHOOK_RETRY_SCHEDULE: '0s,300ms,300ms' });
    await receiver.start();
    connection = await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS });
    worker = await Worker.create({
      connection,
      taskQueue: TASK_QUEUES.webhooks,
      workflowsPath: require.resolve('../../workflows'),
      activities: pick(createActivities(deps), WEBHOOK_ACTIVITIES),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await receiver.stop();
    await deps.close();
  });

  /** A tenant with an endpoint at the receiver, and an upload that has ended `ready`. */
  async function readyUpload(events?: string[]) {
    const seeded = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('hello') });
    const endpoint = await deps.endpoints.create(seeded.tenantId, { url: receiver.url, events });
    await deps.uploads.finish(seeded.upload.id, 'ready', null);
    return { ...seeded, endpoint };
  }

  const deliveryEnded = (tenantId: string, id: string) =>
    eventually(async () => {
      const delivery = await deps.deliveries.find(tenantId, id);
      return delivery && delivery.status !== 'pending' ? delivery : undefined;
    }, 30_000, `delivery ${id} to end`);

  it('a consumer failing twice, then accepting, gets one event: same id, fresh signatures, three attempts on record', async () => {
    const { upload, tenantId, endpoint } = await readyUpload();
    receiver.answers.push(500, 500);
    const published = await deps.webhookEvents.publish(upload.id, 'upload.ready');
    expect(published).toEqual({ eventId: webhookIdFor(upload.id, 'upload.ready'), deliveries: 1 });

    const [deliveryId] = (await deps.deliveries.listPage(tenantId, {}, undefined, 10)).map((r) => r.delivery.id);
    const delivery = await deliveryEnded(tenantId, deliveryId!);
    expect([delivery.status, delivery.attempts.map((a) => a.statusCode)]).toEqual(['succeeded', [500, 500, 204]]);
    expect(delivery.attempts.every((a) => typeof a.latencyMs === 'number')).toBe(true);
    expect(delivery.attempts[0]!.response).toBe('answered 500');

    const requests = receiver.requests.filter((r) => r.body.data.id === upload.id);
    expect(requests.map((r) => r.id)).toEqual(Array(3).fill(published.eventId));
    expect(new Set(requests.map((r) => r.headers['webhook-signature'])).size).toBe(3);
    for (const request of requests) expect(WebhookReceiver.verify(request, endpoint.secret)).toMatchObject({ type: 'upload.ready' });
    expect(receiver.forUpload(upload.id)).toHaveLength(1);
    expect((await deps.endpoints.find(tenantId, endpoint.id))?.failingSince).toBeNull();
  });

  it('one activity per schedule step, however many endpoints: only the failing ones are tried again', async () => {
    const { upload, tenantId } = await readyUpload();
    for (let i = 0; i < 4; i++) await deps.endpoints.create(tenantId, { url: receiver.url });
    receiver.answers.push(500);
    const { eventId, deliveries } = await deps.webhookEvents.publish(upload.id, 'upload.ready');
    expect(deliveries).toBe(5);
    const handle = deps.temporal.workflow.getHandle(webhookEventWorkflowIdFor(eventId));
    await handle.result();
    const history = await handle.fetchHistory();
    const steps = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'attemptDeliveries');
    expect(steps).toHaveLength(2);
    expect(receiver.requests.filter((r) => r.body.data.id === upload.id)).toHaveLength(6);
    expect(receiver.forUpload(upload.id)).toHaveLength(5);
  });

  it('publishing again (a re-run step) records and sends nothing more', async () => {
    const { upload, tenantId } = await readyUpload();
    const first = await deps.webhookEvents.publish(upload.id, 'upload.ready');
    const second = await deps.webhookEvents.publish(upload.id, 'upload.ready');
    expect(second).toEqual(first);
    await deps.temporal.workflow.getHandle(webhookEventWorkflowIdFor(first.eventId)).result();
    const deliveries = await deps.deliveries.listPage(tenantId, {}, undefined, 10);
    expect(deliveries.map((d) => [d.delivery.status, d.delivery.attempts.length])).toEqual([['succeeded', 1]]);
    expect(receiver.forUpload(upload.id)).toHaveLength(1);
  });

  it('an endpoint that fails the whole schedule is marked failing; its next delivery still follows the schedule, and a success heals it', async () => {
    const { upload, tenantId, endpoint } = await readyUpload();
    receiver.answers.push(503, 503, 503);
    await deps.webhookEvents.publish(upload.id, 'upload.ready');
    const [first] = await deps.deliveries.listPage(tenantId, {}, undefined, 10);
    const failed = await deliveryEnded(tenantId, first!.delivery.id);
    expect([failed.status, failed.failureReason, failed.attempts.length]).toEqual(['failed', 'exhausted', 3]);
    expect((await deps.endpoints.find(tenantId, endpoint.id))?.failingSince).toBeInstanceOf(Date);

    receiver.answers.push(503);
    await deps.uploads.markDeleted(upload.id);
    await deps.webhookEvents.publish(upload.id, 'upload.deleted');
    const [second] = await deps.deliveries.listPage(tenantId, { status: undefined }, undefined, 1);
    const healed = await deliveryEnded(tenantId, second!.delivery.id);
    expect([healed.eventType, healed.status, healed.attempts.map((a) => a.statusCode)]).toEqual(['upload.deleted', 'succeeded', [503, 204]]);
    expect((await deps.endpoints.find(tenantId, endpoint.id))?.failingSince).toBeNull();
  });

  it('an endpoint gets only the event types it asked for; a disabled one gets none', async () => {
    const { upload, tenantId } = await readyUpload(['upload.ready']);
    const off = await deps.endpoints.create(tenantId, { url: receiver.url });
    await deps.endpoints.update(tenantId, off.id, { enabled: false });
    expect(await deps.webhookEvents.publish(upload.id, 'upload.processing')).toMatchObject({ deliveries: 0 });
    const ready = await deps.webhookEvents.publish(upload.id, 'upload.ready');
    expect(ready).toMatchObject({ deliveries: 1 });
    // Delivered before the next test tells the receiver how to answer.
    await deps.temporal.workflow.getHandle(webhookEventWorkflowIdFor(ready.eventId)).result();
  });

  it('a late failure never undoes a success: a failed replay and a stale scheduled attempt leave it succeeded', async () => {
    const { upload, tenantId, endpoint } = await readyUpload();
    const { eventId } = await deps.webhookEvents.publish(upload.id, 'upload.ready');
    await deps.temporal.workflow.getHandle(webhookEventWorkflowIdFor(eventId)).result();
    const [row] = await deps.deliveries.listPage(tenantId, {}, undefined, 1);
    const deliveryId = row!.delivery.id;
    const log = { info: () => undefined, warn: () => undefined };

    receiver.answers.push(500);
    // A replay that fails, then the record of a scheduled attempt that was in flight when it succeeded.
    expect(await deps.deliveryAttempts.attempt({ deliveryId, ref: 'replay#1', nextDelayMs: null, replay: true }, log)).toEqual({ next: 'done', status: 'failed' });
    const stale = { at: new Date(), statusCode: 500, latencyMs: 5, error: 'answered 500', response: null };
    await deps.deliveries.recordAttempt({ id: deliveryId, endpointId: endpoint.id }, 'stale#1', stale, { status: 'failed', reason: 'exhausted' }, null);
    const after = (await deps.deliveries.find(tenantId, deliveryId))!;
    expect([after.status, after.attemptCount, after.attempts.map((a) => a.statusCode)]).toEqual(['succeeded', 3, [204, 500, 500]]);
    expect((await deps.endpoints.find(tenantId, endpoint.id))?.failingSince).toBeNull();
  });

  it('an attempt that runs again (activity retry) finds itself on record and sends nothing', async () => {
    const { upload, tenantId } = await readyUpload();
    const { deliveryIds } = await deps.webhookEvents.record(upload.id, 'upload.ready');
    const log = { info: () => undefined, warn: () => undefined };
    const input = { deliveryId: deliveryIds[0]!, ref: 'spec#1', nextDelayMs: null };
    expect(await deps.deliveryAttempts.attempt(input, log)).toEqual({ next: 'done', status: 'succeeded' });
    expect(await deps.deliveryAttempts.attempt(input, log)).toEqual({ next: 'done', status: 'succeeded' });
    expect(receiver.requests.filter((r) => r.body.data.id === upload.id)).toHaveLength(1);
    expect((await deps.deliveries.find(tenantId, deliveryIds[0]!))?.attemptCount).toBe(1);
  });

  it('racing endpoint creations cannot pass the cap together', async () => {
    const { tenantId } = await readyUpload();
    const made = await Promise.all(Array.from({ length: 6 }, () => deps.endpoints.createWithinLimit(tenantId, { url: receiver.url }, 3)));
    expect(made.filter(Boolean)).toHaveLength(2); // readyUpload made the first
    expect(await deps.endpoints.list(tenantId)).toHaveLength(3);
  });

  it('410 Gone ends the delivery and disables the endpoint until it is enabled again', async () => {
    const { upload, tenantId, endpoint } = await readyUpload();
    receiver.answers.push(410);
    await deps.webhookEvents.publish(upload.id, 'upload.ready');
    const [row] = await deps.deliveries.listPage(tenantId, {}, undefined, 1);
    const ended = await deliveryEnded(tenantId, row!.delivery.id);
    expect([ended.status, ended.failureReason, ended.attempts.length]).toEqual(['failed', 'endpoint_gone', 1]);
    expect(await deps.endpoints.find(tenantId, endpoint.id)).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect(await deps.endpoints.update(tenantId, endpoint.id, { enabled: true })).toMatchObject({ enabled: true, disabledReason: null });
  });
});
