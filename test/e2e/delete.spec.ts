import { Client, Connection } from '@temporalio/client';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deletionWorkflowIdFor, workflowIdFor } from '../../workflows/contract';
import { ApiClient, putPresigned } from '../support/api-client';
import { BucketInspector, startTrackedWorker } from '../support/front-door';
import { makeImage, makeVideo } from '../support/media';
import { PlatformProcess, startApi } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';
import { webhookIdFor } from '../../src/webhooks/event-publisher';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/** The SDK's debug line for an activity attempt that ended (completed, cancelled or failed). */
/** Every attempt of `activityType` this worker started for the workflow has ended (at least one was started). */
function activitiesSettled(logs: string, activityType: string, workflowId: string): boolean {
  let started = 0;
  let ended = 0;
  for (const line of logs.split('\n')) {
    if (!line.includes(workflowId) || !line.includes(activityType)) continue;
    const entry = JSON.parse(line) as { activityType?: string; workflowId?: string; msg?: string };
    if (entry.activityType !== activityType || entry.workflowId !== workflowId) continue;
    if (entry.msg === 'Activity started') started++;
    if (/^Activity (completed|failed)/.test(entry.msg ?? '')) ended++;
  }
  return started > 0 && started === ended;
}

describe('DELETE /v1/uploads/:id (API and worker processes on the real stack)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  const workers: PlatformProcess[] = [];
  let dir: string;
  let tenant: TenantCredentials;
  let api: ApiClient;
  let temporal: Client;
  let bucket: BucketInspector;

  beforeAll(async () => {
    const config = testConfig();
    dir = await mkdtemp(join(tmpdir(), 'intake-delete-'));
    await receiver.start();
    // A short second pass, so each test can wait for the whole deletion to finish.
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), UPLOAD_DELETION_RECHECK_SECONDS: '2' };
    const started = await startApi(env);
    processes.push(started.proc);
    // debug: the SDK logs when each activity attempt ends, which the transcode test waits for.
    workers.push(await startTrackedWorker({ ...env, LOG_LEVEL: 'debug' }, processes));
    tenant = await createTenant(started.url, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(started.url, tenant.apiKey);
    temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });
    bucket = new BucketInspector(config);
    await Promise.all([
      makeImage(join(dir, 'photo.png'), 640, 480, 'png'),
      makeVideo(join(dir, 'long.mp4'), { width: 1280, height: 720, seconds: 60, fps: 30 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await temporal?.connection.close();
    bucket?.close();
    await receiver.stop();
  });

  const statusOf = async (id: string) => (await api.get(`/v1/uploads/${id}`)).body.status as string;

  /** Deletion has run both purges (the second after everything running at deletion time could write). */
  const deletionFinished = (id: string) => temporal.workflow.getHandle(deletionWorkflowIdFor(id)).result();

  it('deletes a ready upload: original and outputs gone, status deleted, the same answer twice', async () => {
    const id = await uploadFile(api, join(dir, 'photo.png'), 'image/png');
    await eventually(async () => ((await statusOf(id)) === 'ready' ? true : undefined), 120_000, 'the upload to be ready');
    const stored = await bucket.uploadKeys(tenant.id, id);
    expect(stored).toEqual(expect.arrayContaining([`uploads/${tenant.id}/${id}/original`]));
    expect(stored.filter((k) => k.includes('/outputs/'))).toHaveLength(2);

    const first = await api.call('DELETE', `/v1/uploads/${id}`);
    expect([first.status, first.body]).toEqual([200, { id, status: 'deleted' }]);
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect([view.status, view.stage]).toEqual(['deleted', 'done']);

    await deletionFinished(id);
    expect(await bucket.uploadKeys(tenant.id, id)).toEqual([]);
    expect((await api.get(`/v1/uploads/${id}`)).body.outputs).toEqual([]);

    const second = await api.call('DELETE', `/v1/uploads/${id}`);
    expect([second.status, second.body]).toEqual([200, { id, status: 'deleted' }]);
  });

  it('deletes a video while its segments are transcoding: the workflow is cancelled and nothing is left', async () => {
    const id = await uploadFile(api, join(dir, 'long.mp4'), 'video/mp4');
    await eventually(
      async () => {
        const view = (await api.get(`/v1/uploads/${id}`)).body;
        return view.stage === 'processing' && view.progress > 0 ? true : undefined;
      },
      180_000,
      'the transcode to report progress',
    );

    const res = await api.call('DELETE', `/v1/uploads/${id}`);
    expect([res.status, res.body.status]).toEqual([200, 'deleted']);
    await eventually(
      async () => ((await temporal.workflow.getHandle(workflowIdFor(id)).describe()).status.name === 'CANCELLED' ? true : undefined),
      60_000,
      'the upload workflow to be cancelled',
    );
    await deletionFinished(id);
    // Operators see it as cancelled, not among the failed uploads.
    const { searchAttributes } = await temporal.workflow.getHandle(workflowIdFor(id)).describe();
    expect([searchAttributes.UploadStatus, searchAttributes.Stage, searchAttributes.ErrorCode]).toEqual([['cancelled'], ['done'], undefined]);
    // The segment being encoded learns of the cancellation at its next heartbeat (the others were
    // never started); whether ffmpeg is killed first or it gets to record its pieces (fenced: it
    // deletes its own objects), it ends leaving nothing.
    await eventually(() => (activitiesSettled(workers[0]!.logs, 'transcodeSegment', workflowIdFor(id)) ? true : undefined), 120_000, 'the segment attempts to end');
    expect(await bucket.uploadKeys(tenant.id, id)).toEqual([]);
    expect(await bucket.multipartUploads(`uploads/${tenant.id}/${id}/`)).toEqual([]);
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect([view.status, view.outputs]).toEqual(['deleted', []]);
    // The tenant hears that it was deleted, and nothing else: it never became ready, rejected or failed.
    await eventually(() => receiver.outcomes(id)[0], 60_000, 'the upload.deleted webhook');
    expect(receiver.outcomes(id).map((h) => [h.id, h.body.type, h.body.data.status])).toEqual([
      [webhookIdFor(id, 'upload.deleted'), 'upload.deleted', 'deleted'],
    ]);
  });

  it('deletes an upload still awaiting completion: its bytes and an unfinished multipart upload are removed', async () => {
    const created = await api.post('/v1/uploads', { filename: 'late.png', contentType: 'image/png', size: 12 });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const incoming = `incoming/${tenant.id}/${id}`;
    // Bytes that arrived but were never completed, and a multipart upload still being sent.
    expect((await putPresigned(created.body.upload.url, created.body.upload.headers, Buffer.alloc(12, 1))).status).toBe(200);
    await bucket.startMultipart(incoming);
    expect(await bucket.multipartUploads(incoming)).toEqual([incoming]);

    const res = await api.call('DELETE', `/v1/uploads/${id}`);
    expect([res.status, res.body]).toEqual([200, { id, status: 'deleted' }]);
    // Completing a deleted upload starts nothing.
    expect((await api.post(`/v1/uploads/${id}/complete`)).body.status).toBe('deleted');
    await eventually(
      async () => ((await temporal.workflow.getHandle(workflowIdFor(id)).describe()).status.name === 'CANCELLED' ? true : undefined),
      60_000,
      'the upload workflow to be cancelled',
    );
    await deletionFinished(id);
    expect(await bucket.uploadKeys(tenant.id, id)).toEqual([]);
    expect(await bucket.multipartUploads(incoming)).toEqual([]);
    expect(await statusOf(id)).toBe('deleted');
  });

  it('answers 404 for an unknown upload or another tenant\'s', async () => {
    const id = (await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 10 })).body.id;
    const other = await createTenant(api.baseUrl, ADMIN_TOKEN, receiver.url);
    const res = await api.withToken(other.apiKey).call('DELETE', `/v1/uploads/${id}`);
    expect([res.status, res.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
    expect(await statusOf(id)).toBe('awaiting_upload');
    const unknown = await api.call('DELETE', '/v1/uploads/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
  });
});
