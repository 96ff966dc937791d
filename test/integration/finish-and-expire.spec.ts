import { randomUUID } from 'node:crypto';
import { objectKeys } from '../../src/storage/object-keys';
import { createActivities } from '../../activities';
import { runActivity } from '../support/activity-env';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';

describe('finish and expire activities (S3, PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
  });
  afterAll(async () => {
    await deps.close();
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
