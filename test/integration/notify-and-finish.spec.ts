import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { runActivity } from '../support/activity-env';
import { webhookIdFor } from '../../activities/notify';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';
import { WebhookReceiver } from '../support/webhook-receiver';

describe('notify, finish and expire activities (HTTP endpoint, S3, PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
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
    expect(await deps.storage.head(upload.objectKey)).toBeNull();
    expect(await deps.uploads.get(upload.id)).toMatchObject({ status: 'expired', errorCode: 'UPLOAD_EXPIRED' });
  });
});
