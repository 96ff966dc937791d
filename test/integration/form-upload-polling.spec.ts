import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import type { Upload } from '../../src/database/entities/upload.entity';
import { presignPostFor } from '../../src/uploads/modes/post-policy';
import { uploadCompletedSignal, workflowIdFor } from '../../workflows/contract';
import type { uploadWorkflow } from '../../workflows/upload.workflow';
import { postForm } from '../support/form-upload';
import { makeImage } from '../support/media';
import { RealDeps, realDeps } from '../support/real-deps';
import { recordHistory, recordingHistories } from '../support/workflow-histories';

/**
 * Nobody calls complete for a form upload, and here nothing announces it either: the bucket is one
 * of this spec's own, with no notification configured, and no API runs. The workflow must find the
 * object by looking (checkArrival, real S3), then verify it (real) and finish it (real database).
 * The media steps are stand-ins: they are covered by the other integration specs and e2e.
 */
describe('a form upload found by the workflow polling storage (real Temporal, S3, PostgreSQL)', () => {
  const bucket = `intake-polling-${randomBytes(4).toString('hex')}`;
  let deps: RealDeps;
  let activities: ReturnType<typeof createActivities>;
  let connection: NativeConnection;
  let client: Client;
  let photo: Buffer;
  let taskQueue: string;
  let looks: number;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    // No upload-signing user may write to this bucket: the root credentials sign its policies.
    deps = await realDeps({ S3_BUCKET: bucket, S3_PRESIGN_ACCESS_KEY_ID: '', S3_PRESIGN_SECRET_ACCESS_KEY: '' });
    const s3 = new S3Client({
      endpoint: deps.config.S3_ENDPOINT,
      region: deps.config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: deps.config.S3_ACCESS_KEY_ID, secretAccessKey: deps.config.S3_SECRET_ACCESS_KEY },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    activities = createActivities(deps);
    connection = await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS });
    client = new Client({ connection: await Connection.connect({ address: deps.config.TEMPORAL_ADDRESS }) });
    const dir = await mkdtemp(join(tmpdir(), 'intake-polling-'));
    await makeImage(join(dir, 'photo.jpg'), 64, 48, 'jpeg');
    photo = await readFile(join(dir, 'photo.jpg'));
  });
  afterAll(async () => {
    await client?.connection.close();
    await connection?.close();
    await deps?.close();
  });
  beforeEach(() => {
    taskQueue = `polling-spec-${randomUUID()}`;
    looks = 0;
  });

  async function seedFormUpload(windowMs: number): Promise<Upload> {
    const tenantId = randomUUID();
    await deps.tenants.create({ id: tenantId, name: 'polling' });
    return deps.uploads.create({
      id: randomUUID(),
      tenantId,
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      size: photo.length,
      maxSize: photo.length,
      mode: 'post',
      expiresAt: new Date(Math.floor((Date.now() + windowMs) / 1000) * 1000),
    });
  }

  /** Real arrival, verify and bookkeeping; the steps on the worker's local copy stand in. */
  function worker(): Promise<Worker> {
    const none = async () => undefined;
    return Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: {
        checkArrival: async (input: { uploadId: string }) => {
          looks++;
          return activities.checkArrival(input);
        },
        verifyUpload: activities.verifyUpload,
        finishUpload: activities.finishUpload,
        expireUpload: activities.expireUpload,
        ingestOriginal: async () => ({ taskQueue, sha256: 'ab'.repeat(32) }),
        extractMetadata: none,
        processImage: none,
        createThumbnail: none,
        releaseWorkspace: none,
        publishEvent: none,
        deleteIncoming: async () => ({ deleted: true }),
      },
    });
  }

  function start(upload: Upload): Promise<WorkflowHandle<typeof uploadWorkflow>> {
    return client.workflow.start<typeof uploadWorkflow>('uploadWorkflow', {
      taskQueue,
      workflowId: workflowIdFor(upload.id),
      args: [{ uploadId: upload.id, tenantId: upload.tenantId, expiresAt: upload.expiresAt.toISOString(), mode: 'post' }],
    });
  }

  async function signalsIn(handle: WorkflowHandle): Promise<number> {
    const { events } = await handle.fetchHistory();
    return (events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  }

  it('finds the POSTed object by looking, pins it and proceeds to ready', async () => {
    const upload = await seedFormUpload(120_000);
    const w = await worker();
    const result = await w.runUntil(async () => {
      const handle = await start(upload);
      const post = await presignPostFor(deps.storage, upload);
      expect((await postForm(post.url, post.fields, photo)).status).toBe(204);
      const outcome = await handle.result();
      expect(await signalsIn(handle)).toBe(0);
      return outcome;
    });
    expect(result).toEqual({ status: 'ready', error: null });
    // A replay fixture for the polling branch (RECORD_WORKFLOW_HISTORIES=1).
    if (recordingHistories()) await recordHistory(client, deps.config, workflowIdFor(upload.id), 'upload-post-polled');
    expect(looks).toBeGreaterThanOrEqual(1);
    expect(await deps.uploads.get(upload.id)).toMatchObject({ status: 'ready', kind: 'image', detectedType: 'image/jpeg' });
    expect(await deps.storage.head(`uploads/${upload.tenantId}/${upload.id}/original`)).toMatchObject({ size: photo.length });
  });

  it('expires at expiresAt when nothing arrives, having looked a bounded number of times', async () => {
    const upload = await seedFormUpload(6_000);
    const w = await worker();
    const result = await w.runUntil(start(upload).then((h) => h.result()));
    expect(result).toMatchObject({ status: 'expired', error: { code: 'UPLOAD_EXPIRED' } });
    // At most a look after 5 s and the last one at expiresAt: never a tight loop.
    expect(looks).toBeLessThanOrEqual(2);
    expect((await deps.uploads.get(upload.id)).status).toBe('expired');
  });

  it('takes a notification or complete (the signal) before its first look: the first one wins', async () => {
    const upload = await seedFormUpload(120_000);
    const post = await presignPostFor(deps.storage, upload);
    expect((await postForm(post.url, post.fields, photo)).status).toBe(204);
    const etag = (await deps.storage.head(`incoming/${upload.tenantId}/${upload.id}`))!.etag!;
    const w = await worker();
    // Signalled with the start, so the signal is there before the workflow's first look, whatever the timing.
    const result = await w.runUntil(async () => {
      const handle = await client.workflow.signalWithStart<typeof uploadWorkflow, [{ etag: string }]>('uploadWorkflow', {
        taskQueue,
        workflowId: workflowIdFor(upload.id),
        args: [{ uploadId: upload.id, tenantId: upload.tenantId, expiresAt: upload.expiresAt.toISOString(), mode: 'post' }],
        signal: uploadCompletedSignal,
        signalArgs: [{ etag }],
      });
      return handle.result();
    });
    expect(result).toEqual({ status: 'ready', error: null });
    expect(looks).toBe(0);
    expect((await deps.uploads.get(upload.id)).sourceEtag).toBe(etag);
  });
});
