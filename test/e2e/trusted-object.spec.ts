import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ApiClient, putPresigned } from '../support/api-client';
import { makeImage } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually } from '../support/stack';
import { TenantCredentials, createTenant, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'trusted-admin-token-0123456789';

/**
 * The attack: the end user keeps the presigned PUT URL after `complete` and PUTs other bytes of the
 * same length. Whatever the timing, the upload ends with the completed bytes' outputs or as
 * TAMPERED, never with the new bytes.
 */
describe('a PUT after complete (HTTP API + worker processes)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let dir: string;
  let env: Record<string, string>;
  let tenant: TenantCredentials;
  let api: ApiClient;
  let first: Buffer;
  let swapped: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-trusted-'));
    await receiver.start();
    env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    processes.push(started.proc);
    tenant = await createTenant(started.url, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(started.url, tenant.apiKey);
    await makeImage(join(dir, 'first.jpg'), 200, 100, 'jpeg');
    await makeImage(join(dir, 'other.jpg'), 60, 60, 'jpeg');
    first = await readFile(join(dir, 'first.jpg'));
    const other = await readFile(join(dir, 'other.jpg'));
    swapped = Buffer.concat([other, Buffer.alloc(first.length - other.length)]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  async function create() {
    const created = await api.post('/v1/uploads', { filename: 'a.jpg', contentType: 'image/jpeg', size: first.length });
    expect(created.status).toBe(201);
    const put = (bytes: Buffer) => putPresigned(created.body.upload.url, created.body.upload.headers, bytes);
    expect((await put(first)).status).toBe(200);
    return { id: created.body.id as string, put };
  }

  it('rejects as TAMPERED when the bytes change between complete and verify', async () => {
    // No worker yet: the swap lands before anything has looked at the object.
    const { id, put } = await create();
    expect((await api.post(`/v1/uploads/${id}/complete`)).status).toBe(202);
    expect((await put(swapped)).status).toBe(200);
    processes.push(await startWorker(env, 'worker-trusted'));

    const hook = await webhookFor(receiver, id, 120_000);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.rejected' });
    expect(hook.body.data).toMatchObject({ status: 'rejected', error: { code: 'TAMPERED' }, outputs: [], sha256: null });
  });

  it('keeps serving the completed bytes when the client PUTs again while and after processing', async () => {
    const { id, put } = await create();
    expect((await api.post(`/v1/uploads/${id}/complete`)).status).toBe(202);
    // Race the pipeline: whichever stage it is in, the result is the first bytes or TAMPERED.
    await eventually(async () => ((await api.get(`/v1/uploads/${id}`)).body.stage !== 'awaiting_upload' ? true : undefined), 60_000, 'processing to start');
    expect((await put(swapped)).status).toBe(200);
    const hook = await webhookFor(receiver, id, 120_000);
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    if (hook.body.type === 'upload.rejected') {
      expect(view.error.code).toBe('TAMPERED');
      return;
    }
    expect(view).toMatchObject({ status: 'ready', sha256: createHash('sha256').update(first).digest('hex') });
    expect([view.metadata.width, view.metadata.height]).toEqual([200, 100]);

    // After the end: the URL still works until expiresAt, but what is served does not change.
    expect((await put(swapped)).status).toBe(200);
    const again = (await api.get(`/v1/uploads/${id}`)).body;
    expect(again.sha256).toBe(view.sha256);
    for (const output of again.outputs) {
      const bytes = Buffer.from(await (await fetch(output.url)).arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect(meta.width! / meta.height!).toBeCloseTo(2, 1);
    }
  });
});
