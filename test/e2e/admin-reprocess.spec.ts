import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, putPresigned } from '../support/api-client';
import { makeImage } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { RerunProbe, eventOf } from '../support/reruns';
import { eventually } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';
import { RERUN_WINDOW } from '../../workflows/reprocess-batch.workflow';
import { webhookIdFor } from '../../src/webhooks/event-publisher';

const ADMIN_TOKEN = 'admin-reprocess-token-0123456789';
const BACKFILL = 12;

/**
 * Reprocessing ready uploads through the admin API, on the real stack: one upload (served as it
 * was until the new set swaps in), and a backfill that live uploads do not wait behind.
 */
describe('admin reprocess (HTTP API + worker processes)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let env: Record<string, string>;
  let dir: string;
  let admin: ApiClient;
  let apiUrl: string;
  let probe: RerunProbe;
  let photo: Buffer;

  const tenant = async (policy?: Record<string, unknown>): Promise<TenantCredentials & { api: ApiClient }> => {
    const created = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    if (policy) expect((await admin.call('PATCH', `/v1/admin/tenants/${created.id}`, { policy })).status).toBe(200);
    return { ...created, api: new ApiClient(apiUrl, created.apiKey) };
  };
  let backfillWorker: PlatformProcess | undefined;
  const ensureBackfillWorker = async () => {
    if (backfillWorker?.running) return;
    backfillWorker = await startWorker({ ...env, WORKER_QUEUES: 'backfill', WORKER_MAX_CONCURRENT_BACKFILL: '1' }, 'worker-backfill');
    processes.push(backfillWorker);
  };
  const ready = async (api: ApiClient) => {
    const id = await uploadFile(api, photo, 'image/jpeg');
    await eventOf(receiver, id, 'upload.ready');
    return id;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-reprocess-'));
    await receiver.start();
    // The live worker polls no backfill queue: a bulk rerun waits there until a backfill worker comes.
    env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const api = await startApi(env);
    apiUrl = api.url;
    processes.push(api.proc, await startWorker({ ...env, WORKER_QUEUES: 'uploads,transcode,webhooks' }, 'worker-live'));
    admin = new ApiClient(apiUrl, ADMIN_TOKEN);
    probe = await RerunProbe.open();
    await makeImage(join(dir, 'photo.jpg'), 1600, 1200, 'jpeg');
    photo = await readFile(join(dir, 'photo.jpg'));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await probe?.close();
    await receiver.stop();
  });

  it('reprocesses one upload: new keys, old objects deleted, a new event, 409 for what cannot be reprocessed', async () => {
    const owner = await tenant({ outputs: ['optimized'] });
    const id = await ready(owner.api);
    const before = await probe.outputs(id);
    expect(Object.keys(before.keys)).toEqual(['optimized']);

    // The policy now wants a thumbnail too: the reprocess produces today's set.
    expect((await admin.call('PATCH', `/v1/admin/tenants/${owner.id}`, { policy: { outputs: ['optimized', 'thumbnail'] } })).status).toBe(200);
    const started = await admin.post(`/v1/admin/uploads/${id}/reprocess`);
    expect([started.status, started.body]).toEqual([202, { id, status: 'ready' }]);

    const event = await eventOf(receiver, id, 'upload.ready', 1);
    const original = receiver.forUpload(id).find((w) => w.body.type === 'upload.ready')!;
    expect(event.id).not.toBe(original.id);
    expect(WebhookReceiver.verify(event, owner.webhookSecret)).toMatchObject({ type: 'upload.ready', data: { id, status: 'ready' } });
    const after = await probe.outputs(id);
    expect([after.generation, after.next, Object.keys(after.keys).sort()]).toEqual([1, null, ['optimized', 'thumbnail']]);
    expect(after.keys.optimized).not.toBe(before.keys.optimized);
    expect(await probe.exists(before.keys.optimized!)).toBe(false);
    for (const key of Object.values(after.keys)) expect(await probe.exists(key)).toBe(true);
    const view = await owner.api.get(`/v1/uploads/${id}`);
    expect(view.body.outputs.map((o: { name: string }) => o.name)).toEqual(['optimized', 'thumbnail']);
    for (const o of view.body.outputs) expect((await fetch(o.url)).status).toBe(200);

    const refusals = [
      await admin.post(`/v1/admin/uploads/${id}/retry`),
      await admin.post(`/v1/admin/uploads/${randomUUID()}/reprocess`),
      await owner.api.post(`/v1/admin/uploads/${id}/reprocess`),
    ];
    expect(refusals.map((r) => [r.status, r.body.error.code])).toEqual([
      [409, 'NOT_RETRYABLE'],
      [404, 'UPLOAD_NOT_FOUND'],
      [401, 'UNAUTHORIZED'],
    ]);
    const awaiting = await owner.api.post('/v1/uploads', { filename: 'a.jpg', contentType: 'image/jpeg', size: photo.length });
    const early = await admin.post(`/v1/admin/uploads/${awaiting.body.id}/reprocess`);
    expect([early.status, early.body.error.code]).toEqual([409, 'NOT_REPROCESSABLE']);
  });

  it('keeps serving the old outputs while a reprocess is under way, then swaps the whole set', async () => {
    const owner = await tenant();
    const id = await ready(owner.api);
    const before = await probe.outputs(id);
    const oldView = await owner.api.get(`/v1/uploads/${id}`);

    // A bulk rerun of this tenant: it begins (a new generation is being built), then waits on the
    // backfill queue, which nothing polls yet.
    const bulk = await admin.post('/v1/admin/uploads/reprocess', { tenantId: owner.id });
    expect([bulk.status, bulk.body.started]).toEqual([202, 1]);
    await eventually(async () => ((await probe.outputs(id)).next === 1 ? true : undefined), 60_000, 'the reprocess to begin');

    const during = await owner.api.get(`/v1/uploads/${id}`);
    expect(during.body.status).toBe('ready');
    expect(during.body.outputs.map((o: { name: string }) => o.name)).toEqual(oldView.body.outputs.map((o: { name: string }) => o.name));
    expect((await probe.outputs(id)).generation).toBe(0);
    for (const o of during.body.outputs) {
      expect(decodeURIComponent(new URL(o.url).pathname)).toContain(before.keys[o.name]);
      expect((await fetch(o.url)).status).toBe(200);
    }

    await ensureBackfillWorker();
    await eventOf(receiver, id, 'upload.ready', 1);
    const after = await probe.outputs(id);
    expect(after.generation).toBe(1);
    for (const [name, key] of Object.entries(before.keys)) {
      expect(after.keys[name]).not.toBe(key);
      expect(await probe.exists(key)).toBe(false);
    }
  });

  it('lets a live upload through while a backfill is in flight (backfill queue, one slot)', async () => {
    await ensureBackfillWorker();
    const backfilled = await tenant();
    const live = await tenant();
    const ids = await Promise.all(Array.from({ length: BACKFILL }, () => ready(backfilled.api)));
    // From `complete` (the bytes are in) to the ready event.
    const liveLatency = async () => {
      const created = await live.api.post('/v1/uploads', { filename: 'live.jpg', contentType: 'image/jpeg', size: photo.length });
      expect((await putPresigned(created.body.upload.url, created.body.upload.headers, photo)).status).toBe(200);
      const t0 = Date.now();
      expect((await live.api.post(`/v1/uploads/${created.body.id}/complete`)).status).toBe(202);
      await eventOf(receiver, created.body.id, 'upload.ready');
      return Date.now() - t0;
    };
    const quiet = await liveLatency();

    const rerunsDone = () => ids.filter((id) => receiver.received.some((w) => w.id === webhookIdFor(id, 'upload.ready', 1))).length;
    const bulk = await admin.post('/v1/admin/uploads/reprocess', { tenantId: backfilled.id });
    expect([bulk.status, bulk.body.started]).toEqual([202, BACKFILL]);
    // In flight: the first rerun has finished, the rest are queued behind the backfill slot.
    await eventually(() => (rerunsDone() >= 1 ? true : undefined), 120_000, 'the first backfill rerun');
    // The batch starts reruns a window at a time: never more than RERUN_WINDOW begun and unfinished.
    const inFlight = (await Promise.all(ids.map((id) => probe.outputs(id)))).filter((o) => o.next !== null).length;
    expect(inFlight).toBeLessThanOrEqual(RERUN_WINDOW);
    const busy = await liveLatency();
    const doneWhenLiveReady = rerunsDone();

    await Promise.all(ids.map((id) => eventOf(receiver, id, 'upload.ready', 1, 300_000)));
    process.stdout.write(
      `live upload complete->ready: ${quiet} ms without backfill, ${busy} ms with ${BACKFILL} backfill reruns ` +
        `(${doneWhenLiveReady} of them done when it was ready)\n`,
    );
    expect(doneWhenLiveReady).toBeLessThan(BACKFILL);
  });
});
