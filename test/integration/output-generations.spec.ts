import { objectKeys } from '../../src/storage/object-keys';
import { createActivities } from '../../activities';
import { runActivity } from '../support/activity-env';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';

const output = (name: string, objectKey: string, generation?: number) => ({
  name, objectKey, contentType: 'image/webp', size: 7, width: 1, height: 1, ...(generation === undefined ? {} : { generation }),
});

/** Reruns' output generations against the real PostgreSQL and S3: what is served, what is fenced. */
describe('output generations (PostgreSQL, S3)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
  });
  afterAll(async () => {
    await deps.close();
  });

  const served = async (id: string) => (await deps.uploads.listOutputs(id)).map((o) => [o.name, o.objectKey]);

  it('builds a reprocess beside the served set, fences stale writes, and swaps in one step', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/png' });
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/old'))).written).toBe(true);
    await deps.uploads.finish(upload.id, 'ready', null);

    const generation = await deps.generations.beginReprocess(upload.id);
    expect(generation).toBe(1);
    // A late attempt of the first run (generation 0) cannot write, the reprocess can, unseen.
    expect(await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/stale', 0))).toEqual({ written: false, replacedKey: null });
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/new', 1))).written).toBe(true);
    expect((await deps.uploads.upsertOutput(upload.id, output('thumbnail', 'k/thumb', 1))).written).toBe(true);
    expect(await served(upload.id)).toEqual([['optimized', 'k/old']]);

    // A second reprocess supersedes the first: the first one's writes and swap are fenced off.
    expect(await deps.generations.beginReprocess(upload.id)).toBe(2);
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/superseded', 1))).written).toBe(false);
    expect(await deps.generations.promoteGeneration(upload.id, 1)).toBe(false);
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/newest', 2))).written).toBe(true);
    expect(await deps.generations.promoteGeneration(upload.id, 2)).toBe(true);
    expect(await deps.generations.promoteGeneration(upload.id, 2)).toBe(true); // a retried swap
    expect(await served(upload.id)).toEqual([['optimized', 'k/newest']]);
    expect([...(await deps.generations.referencedKeys(upload.id))]).toEqual(['k/newest']);
    // Finished: nothing lands any more.
    expect((await deps.uploads.upsertOutput(upload.id, output('thumbnail', 'k/late', 2))).written).toBe(false);
  });

  it('a reprocess after a failed one builds a generation of its own, so the failed run\'s late attempts stay fenced', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/png' });
    await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/served'));
    await deps.uploads.finish(upload.id, 'ready', null);
    const failed = (await deps.generations.beginReprocess(upload.id))!;
    await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/partial', failed));
    await deps.generations.discardGeneration(upload.id, failed);
    await deps.generations.discardGeneration(upload.id, failed); // a retried discard
    expect(await served(upload.id)).toEqual([['optimized', 'k/served']]);

    const next = (await deps.generations.beginReprocess(upload.id))!;
    expect(next).toBeGreaterThan(failed);
    // An attempt of the failed run that outlived it (a timed-out transcode still running) lands nowhere.
    expect((await deps.uploads.upsertOutput(upload.id, output('thumbnail', 'k/late', failed))).written).toBe(false);
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/next', next))).written).toBe(true);
    expect(await deps.generations.promoteGeneration(upload.id, next)).toBe(true);
    expect(await served(upload.id)).toEqual([['optimized', 'k/next']]);
  });

  it('a retry keeps a failed upload\'s outputs under their keys in a new generation, and fences the failed run', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/png' });
    await deps.uploads.upsertOutput(upload.id, output('thumbnail', 'k/thumb'));
    await deps.uploads.finish(upload.id, 'failed', { code: 'PROCESSING_FAILED', message: 'x' });
    expect(await served(upload.id)).toEqual([]);

    expect(await deps.generations.reopenFailed(upload.id)).toBe(1);
    expect(await deps.generations.reopenFailed(upload.id)).toBeNull();
    expect(await deps.uploads.get(upload.id)).toMatchObject({ status: 'processing', errorCode: null, generation: 1 });
    expect(await served(upload.id)).toEqual([['thumbnail', 'k/thumb']]);
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/stale', 0))).written).toBe(false);
    expect((await deps.uploads.upsertOutput(upload.id, output('optimized', 'k/opt', 1))).written).toBe(true);
  });

  it('drops only the output objects no row names', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/png' });
    const kept = objectKeys.output(upload.tenantId, upload.id, 'g0/1.1/optimized.webp');
    const garbage = objectKeys.output(upload.tenantId, upload.id, 'g0/2.1/optimized.webp');
    for (const key of [kept, garbage]) await deps.storage.putBuffer(key, Buffer.from('x'), 'image/webp');
    await deps.uploads.upsertOutput(upload.id, output('optimized', kept));
    await expect(runActivity(acts.dropUnreferencedOutputs, { uploadId: upload.id })).resolves.toEqual({ deleted: 1 });
    expect([await deps.storage.head(kept), await deps.storage.head(garbage)].map((h) => h !== null)).toEqual([true, false]);
  });
});
