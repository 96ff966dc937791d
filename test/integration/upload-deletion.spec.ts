import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { objectKeys } from '../../src/storage/object-keys';
import { deletionWorkflowIdFor, uploadCompletedSignal, workflowIdFor } from '../../workflows/contract';
import { runActivity } from '../support/activity-env';
import { BucketInspector } from '../support/front-door';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';
import { testConfig } from '../support/stack';
import { halfSentTusUpload } from '../support/tus-state';

/** The purge activity against real S3 and PostgreSQL: every place an upload's bytes can be. */
describe('purgeUpload (real S3 and PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let bucket: BucketInspector;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    bucket = new BucketInspector(deps.config);
  });
  afterAll(async () => {
    bucket.close();
    await deps.close();
  });

  it('removes the incoming object, the original, every attempt\'s outputs, output rows and unfinished multipart uploads', async () => {
    const { upload, tenantId } = await seedUpload(deps, { contentType: 'image/png', body: Buffer.alloc(64, 1) });
    const id = upload.id;
    const outputKey = objectKeys.output(tenantId, id, 'processImage.1/optimized.webp');
    await deps.storage.putBuffer(objectKeys.original(tenantId, id), Buffer.alloc(64, 1), 'image/png');
    await deps.storage.putBuffer(outputKey, Buffer.alloc(32, 2), 'image/webp');
    await deps.storage.putBuffer(objectKeys.output(tenantId, id, 'processImage.2/optimized.webp'), Buffer.alloc(32, 3), 'image/webp');
    await deps.storage.putBuffer(objectKeys.quarantine(tenantId, id), Buffer.alloc(8), 'application/octet-stream');
    const row = { name: 'optimized', objectKey: outputKey, contentType: 'image/webp', size: 32, width: 1, height: 1 };
    expect((await deps.uploads.upsertOutput(id, row)).written).toBe(true);
    await bucket.startMultipart(objectKeys.incoming(tenantId, id));
    await bucket.startMultipart(objectKeys.output(tenantId, id, 'transcodeVideo.1/optimized.mp4'));

    await runActivity(acts.markUploadDeleted, { uploadId: id });
    const { objects } = await runActivity(acts.purgeUpload, { uploadId: id });

    expect(objects).toBe(4);
    expect(await bucket.uploadKeys(tenantId, id)).toEqual([]);
    expect(await bucket.multipartUploads(objectKeys.incoming(tenantId, id))).toEqual([]);
    expect(await bucket.multipartUploads(objectKeys.storedPrefix(tenantId, id))).toEqual([]);
    expect(await deps.uploads.listOutputs(id)).toEqual([]);
    expect((await deps.uploads.get(id)).status).toBe('deleted');
    // The operator's evidence of an infected file stays.
    expect(await bucket.keys(objectKeys.quarantine(tenantId, id))).toHaveLength(1);
  });

  it('fences output rows once deleted, and a second purge removes what an unfenced write left', async () => {
    const { upload, tenantId } = await seedUpload(deps, { contentType: 'image/png', body: Buffer.alloc(64, 1) });
    await runActivity(acts.markUploadDeleted, { uploadId: upload.id });
    await runActivity(acts.purgeUpload, { uploadId: upload.id });
    // An attempt that was already running: its row write is refused, its copy (verify's) is not.
    const late = objectKeys.output(tenantId, upload.id, 'createThumbnail.1/thumbnail.webp');
    const row = { name: 'thumbnail', objectKey: late, contentType: 'image/webp', size: 1, width: 1, height: 1 };
    expect((await deps.uploads.upsertOutput(upload.id, row)).written).toBe(false);
    await deps.storage.putBuffer(objectKeys.original(tenantId, upload.id), Buffer.alloc(64, 1), 'image/png');
    expect(await bucket.uploadKeys(tenantId, upload.id)).toHaveLength(1);

    await runActivity(acts.purgeUpload, { uploadId: upload.id });
    expect(await bucket.uploadKeys(tenantId, upload.id)).toEqual([]);
    // Deleting twice changes nothing.
    await runActivity(acts.markUploadDeleted, { uploadId: upload.id });
    expect((await deps.uploads.get(upload.id)).status).toBe('deleted');
    await expect(runActivity(acts.purgeUpload, { uploadId: randomUUID() })).resolves.toEqual({ objects: 0 });
  });
});

/** A tus upload stopped part-way has bytes in three places: all go when it is deleted or expires. */
describe('tus leftovers on deletion and expiry (real S3 and PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let bucket: BucketInspector;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    bucket = new BucketInspector(deps.config);
  });
  afterAll(async () => {
    bucket.close();
    await deps.close();
  });

  async function halfSent() {
    const { upload, tenantId } = await seedUpload(deps, { contentType: 'text/plain', declaredSize: 12 * 1024 * 1024 });
    await halfSentTusUpload(deps.config, tenantId, upload.id);
    const left = async () => ({
      state: await bucket.keys(`tus/${tenantId}/${upload.id}`),
      multipart: await bucket.multipartUploads(objectKeys.incoming(tenantId, upload.id)),
      incoming: await bucket.keys(objectKeys.incoming(tenantId, upload.id)),
    });
    // The store really left all of it: `.info`, `.part` and the multipart upload with the first part.
    expect(await left()).toEqual({
      state: [`tus/${tenantId}/${upload.id}.info`, `tus/${tenantId}/${upload.id}.part`],
      multipart: [objectKeys.incoming(tenantId, upload.id)],
      incoming: [],
    });
    return { id: upload.id, left };
  }

  it('purgeUpload removes its tus state and aborts the multipart upload on its incoming key', async () => {
    const { id, left } = await halfSent();
    await runActivity(acts.markUploadDeleted, { uploadId: id });
    await runActivity(acts.purgeUpload, { uploadId: id });
    expect(await left()).toEqual({ state: [], multipart: [], incoming: [] });
  });

  it('expireUpload removes its tus state and aborts the multipart upload tus opened (no id recorded on the row)', async () => {
    const { id, left } = await halfSent();
    expect((await deps.uploads.get(id)).multipartUploadId).toBeNull();
    await runActivity(acts.expireUpload, { uploadId: id });
    expect(await left()).toEqual({ state: [], multipart: [], incoming: [] });
    expect((await deps.uploads.get(id)).status).toBe('expired');
  });
});

/** The deletion workflow's order on the real Temporal server, with stand-in activities. */
describe('uploadDeletionWorkflow on the real Temporal server', () => {
  const config = testConfig();
  let client: Client;
  let connection: NativeConnection;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    client = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });
  });
  afterAll(async () => {
    await client.connection.close();
    await connection.close();
  });

  it('marks the upload deleted, cancels its running workflow, then purges twice', async () => {
    const taskQueue = `deletion-spec-${randomUUID()}`;
    const uploadId = randomUUID();
    const calls: string[] = [];
    let releaseVerify!: () => void;
    const verifyHeld = new Promise<void>((resolve) => (releaseVerify = resolve));
    const record = (name: string, result: unknown = undefined) => async () => {
      calls.push(name);
      return result;
    };
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: {
        // The pipeline is stuck in verify when the deletion comes.
        verifyUpload: async () => {
          calls.push('verifyUpload');
          await verifyHeld;
          return { kind: 'image', detectedType: 'image/png' };
        },
        finishUpload: record('finishUpload'),
        expireUpload: record('expireUpload'),
        deleteIncoming: record('deleteIncoming', { deleted: true }),
        markUploadDeleted: record('markUploadDeleted'),
        purgeUpload: record('purgeUpload', { objects: 0 }),
        publishEvent: async ({ event }: { event: string }) => {
          calls.push(`publishEvent:${event}`);
          return { eventId: 'msg', deliveries: 0 };
        },
      },
    });
    // Released before the worker shuts down, which waits for its running activities.
    await worker.runUntil(async () => {
      try {
        const upload = await client.workflow.start('uploadWorkflow', {
          taskQueue,
          workflowId: workflowIdFor(uploadId),
          args: [{ uploadId, tenantId: randomUUID(), expiresAt: new Date(Date.now() + 60_000).toISOString() }],
        });
        await upload.signal(uploadCompletedSignal, { etag: '"e"' });
        while (!calls.includes('verifyUpload')) await new Promise((r) => setTimeout(r, 50));

        const deletion = await client.workflow.start('uploadDeletionWorkflow', {
          taskQueue,
          workflowId: deletionWorkflowIdFor(uploadId),
          args: [{ uploadId, recheckAfterSeconds: 1 }],
        });
        await deletion.result();
        expect((await upload.describe()).status.name).toBe('CANCELLED');
        // The pipeline recorded no outcome: the cancelled workflow schedules nothing more. The tenant
        // hears of the deletion once the data is gone.
        expect(calls).toEqual([
          'publishEvent:upload.processing', 'verifyUpload',
          'markUploadDeleted', 'purgeUpload', 'publishEvent:upload.deleted', 'purgeUpload',
        ]);

        // Deleting again (the upload workflow is closed now) runs the same steps without failing.
        const again = await client.workflow.start('uploadDeletionWorkflow', {
          taskQueue,
          workflowId: deletionWorkflowIdFor(uploadId),
          args: [{ uploadId, recheckAfterSeconds: 1 }],
        });
        await again.result();
        expect(calls.slice(6)).toEqual(['markUploadDeleted', 'purgeUpload', 'publishEvent:upload.deleted', 'purgeUpload']);
      } finally {
        releaseVerify();
      }
    });
  });
});
