import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { objectKeys } from '../../src/storage/object-keys';
import { createActivities } from '../../activities';
import { runActivity } from '../support/activity-env';
import { webhookIdFor } from '../../activities/notify';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';
import { WebhookReceiver } from '../support/webhook-receiver';
import { WebhookSender } from '../../src/webhooks/webhook-sender';

describe('notify, finish and expire activities (HTTP endpoint, S3, PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    deps = await realDeps();
    // The receiver listens on 127.0.0.1: reachable only through the stack's allow-list
    // (WEBHOOK_ALLOWED_PRIVATE_HOSTS), as the worker's sender is built.
    acts = createActivities({ ...deps, webhooks: WebhookSender.fromConfig(deps.config) });
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await deps.close();
  });

  it('posts a Standard Webhooks-signed event whose data is the upload view', async () => {
    const { upload, webhookSecret } = await seedUpload(deps, {
      contentType: 'text/plain',
      body: Buffer.from('hello'),
      webhookUrl: receiver.url,
    });
    await runActivity(acts.finishUpload, { uploadId: upload.id, status: 'ready', error: null });
    await expect(runActivity(acts.notifyTenant, { uploadId: upload.id, event: 'upload.ready' })).resolves.toEqual({
      delivered: true,
    });
    const [hook] = receiver.forUpload(upload.id);
    expect(WebhookReceiver.verify(hook!, webhookSecret)).toMatchObject({ type: 'upload.ready' });
    expect(hook!.body.data).toMatchObject({ id: upload.id, status: 'ready', stage: 'done', progress: 100, error: null });
    expect(() => WebhookReceiver.verify(hook!, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toThrow();
  });

  it('sends the same webhook id on every retry, and fails retryably while the endpoint errors', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('x'), webhookUrl: receiver.url });
    await runActivity(acts.finishUpload, { uploadId: upload.id, status: 'rejected', error: { code: 'INFECTED', message: 'x' } });
    receiver.failNext = 1;
    const err = await runActivity(acts.notifyTenant, { uploadId: upload.id, event: 'upload.rejected' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    await runActivity(acts.notifyTenant, { uploadId: upload.id, event: 'upload.rejected' });
    await runActivity(acts.notifyTenant, { uploadId: upload.id, event: 'upload.rejected' });
    const ids = receiver.forUpload(upload.id).map((w) => w.id);
    expect(ids).toEqual([webhookIdFor(upload.id, 'upload.rejected'), webhookIdFor(upload.id, 'upload.rejected')]);
    expect(receiver.forUpload(upload.id)[0]!.body.data.error).toEqual({ code: 'INFECTED', message: 'x' });
  });

  it('skips tenants without a webhook URL', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('x') });
    await expect(runActivity(acts.notifyTenant, { uploadId: upload.id, event: 'upload.ready' })).resolves.toEqual({
      delivered: false,
    });
  });

  it('expires an upload: removes the partial object and records why', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('partial') });
    await runActivity(acts.expireUpload, { uploadId: upload.id });
    await runActivity(acts.expireUpload, { uploadId: upload.id }); // idempotent
    expect(await deps.storage.head(objectKeys.incoming(upload.tenantId, upload.id))).toBeNull();
    expect(await deps.uploads.get(upload.id)).toMatchObject({ status: 'expired', errorCode: 'UPLOAD_EXPIRED' });
  });

  it('leaves nothing of a rejected upload: no incoming, original, outputs or output rows', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('late put') });
    const original = objectKeys.original(upload.tenantId, upload.id);
    const output = objectKeys.output(upload.tenantId, upload.id, 'optimized.webp');
    await deps.storage.putBuffer(original, Buffer.from('bytes'), 'text/plain');
    await deps.storage.putBuffer(output, Buffer.from('partial'), 'image/webp');
    await deps.uploads.upsertOutput(upload.id, {
      name: 'optimized', objectKey: output, contentType: 'image/webp', size: 7, width: 1, height: 1,
    });
    const error = { code: 'CORRUPT_MEDIA', message: 'broken' };
    await runActivity(acts.finishUpload, { uploadId: upload.id, status: 'rejected', error });
    for (const key of [objectKeys.incoming(upload.tenantId, upload.id), original, output]) {
      expect(await deps.storage.head(key)).toBeNull();
    }
    expect(await deps.uploads.listOutputs(upload.id)).toEqual([]);
    // A stale attempt finishing late cannot add an output to the ended upload.
    expect(
      await deps.uploads.upsertOutput(upload.id, {
        name: 'thumbnail', objectKey: output, contentType: 'image/webp', size: 7, width: 1, height: 1,
      }),
    ).toEqual({ written: false, replacedKey: null });
    expect(await deps.uploads.listOutputs(upload.id)).toEqual([]);
  });

  it('keeps a ready upload\'s original and outputs, and sweeps a PUT that arrives after it ended', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('late put') });
    const original = objectKeys.original(upload.tenantId, upload.id);
    await deps.storage.putBuffer(original, Buffer.from('bytes'), 'text/plain');
    await runActivity(acts.finishUpload, { uploadId: upload.id, status: 'ready', error: null });
    const incoming = objectKeys.incoming(upload.tenantId, upload.id);
    expect(await deps.storage.head(incoming)).toBeNull();
    expect(await deps.storage.head(original)).not.toBeNull();
    await deps.storage.putBuffer(incoming, Buffer.from('after the end'), 'text/plain');
    await expect(runActivity(acts.deleteIncoming, { uploadId: upload.id })).resolves.toEqual({ deleted: true });
    expect(await deps.storage.head(incoming)).toBeNull();
  });

  it('leaves the incoming object of an upload still being processed to the pipeline', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('not yet verified') });
    await expect(runActivity(acts.deleteIncoming, { uploadId: upload.id })).resolves.toEqual({ deleted: false });
    expect(await deps.storage.head(objectKeys.incoming(upload.tenantId, upload.id))).not.toBeNull();
  });

  it('fails bookkeeping on a missing row without retrying forever', async () => {
    const err = await runActivity(acts.finishUpload, { uploadId: randomUUID(), status: 'ready', error: null }).catch((e) => e);
    expect([err.type, err.nonRetryable]).toEqual(['UPLOAD_NOT_FOUND', true]);
  });
});
