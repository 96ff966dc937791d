import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { objectKeys } from '../../src/storage/object-keys';
import { runActivity } from '../support/activity-env';
import { makeImage } from '../support/media';
import { RealDeps, realDeps } from '../support/real-deps';

/**
 * Uploads that declared no size (Uppy, deferred-length tus) are weighed against the storage quota
 * only by verify: concurrent verifies of one tenant must not all pass against the same baseline.
 */
describe('storage quota for undeclared sizes (verify, PostgreSQL + S3)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let png: Buffer;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    const dir = await mkdtemp(join(tmpdir(), 'intake-quota-race-'));
    await makeImage(join(dir, 'a.png'), 64, 48, 'png');
    png = await readFile(join(dir, 'a.png'));
  });
  afterAll(() => deps.close());

  /** A tenant with `quota` bytes and `count` uploads of `png` that declared no size, bytes in place. */
  async function tenantWithUndeclaredUploads(quota: number, count: number) {
    const tenantId = randomUUID();
    await deps.tenants.create({ id: tenantId, name: 'quota-race' });
    await deps.tenants.setPolicy(tenantId, { storageQuotaBytes: quota });
    const uploads = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const incoming = objectKeys.incoming(tenantId, id);
      await deps.storage.putBuffer(incoming, png, 'image/png');
      const etag = (await deps.storage.head(incoming))!.etag!;
      await deps.uploads.create({
        id,
        tenantId,
        filename: `${i}.png`,
        contentType: 'image/png',
        size: null,
        maxSize: Number.MAX_SAFE_INTEGER,
        mode: 'post',
        status: 'processing',
        stage: 'verifying',
        expiresAt: new Date(Date.now() + 3600_000),
      });
      uploads.push({ id, etag });
    }
    return { tenantId, uploads };
  }

  it('lets exactly one of two concurrent verifies through when together they exceed the quota', async () => {
    // Room for one and a half: each fits alone, both do not.
    const { tenantId, uploads } = await tenantWithUndeclaredUploads(Math.floor(png.length * 1.5), 2);
    const outcomes = await Promise.allSettled(uploads.map(({ id, etag }) => runActivity(acts.verifyUpload, { uploadId: id, etag })));

    const passed = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(passed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ApplicationFailure);
    expect({ type: refused[0].type, nonRetryable: refused[0].nonRetryable }).toEqual({ type: 'QUOTA_EXCEEDED', nonRetryable: true });

    // The one that passed holds its bytes; the refused one recorded nothing.
    const rows = await Promise.all(uploads.map(({ id }) => deps.uploads.get(id)));
    expect(rows.map((r) => r.size).sort()).toEqual([null, png.length].sort());
    expect(await deps.uploads.storageUsed(tenantId)).toBe(png.length);
  });

  it('counts a recorded size until the upload is rejected, then frees it', async () => {
    const { tenantId, uploads } = await tenantWithUndeclaredUploads(Math.floor(png.length * 1.5), 2);
    const [first, second] = uploads as [{ id: string; etag: string }, { id: string; etag: string }];
    await runActivity(acts.verifyUpload, { uploadId: first.id, etag: first.etag });
    // A later step rejects the first upload (say, a virus): it stops holding storage.
    await deps.uploads.finish(first.id, 'rejected', { code: 'INFECTED', message: 'infected' });
    await expect(runActivity(acts.verifyUpload, { uploadId: second.id, etag: second.etag })).resolves.toMatchObject({
      detectedType: 'image/png',
    });
    expect(await deps.uploads.storageUsed(tenantId)).toBe(png.length);
  });
});
