import { ApplicationFailure } from '@temporalio/common';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { activityEnv, runActivity } from '../support/activity-env';
import { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { objectKeys } from '../../src/storage/object-keys';
import { expectRejection } from '../support/failures';
import { EICAR, makeImage } from '../support/media';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';

describe('verify and scan activities (S3 + clamd + PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let jpeg: Buffer;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    const dir = await mkdtemp(join(tmpdir(), 'intake-verify-'));
    await makeImage(join(dir, 'a.jpg'), 64, 48, 'jpeg');
    jpeg = await readFile(join(dir, 'a.jpg'));
  });
  afterAll(() => deps.close());

  it('accepts an object whose size and magic bytes match the declaration', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/jpeg', body: jpeg });
    await expect(runActivity(acts.verifyUpload, { uploadId: upload.id })).resolves.toEqual({
      kind: 'image',
      detectedType: 'image/jpeg',
    });
    const row = await deps.uploads.get(upload.id);
    expect([row.stage, row.kind, row.detectedType]).toEqual(['verifying', 'image', 'image/jpeg']);
  });

  it('rejects a missing object', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/jpeg', declaredSize: 10 });
    await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id }), 'OBJECT_MISSING');
  });

  it('rejects an object whose size differs from the declared size', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/jpeg', body: jpeg, declaredSize: jpeg.length + 1 });
    const failure = await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id }), 'SIZE_MISMATCH');
    expect(failure.details?.[0]).toEqual({ declared: jpeg.length + 1, actual: jpeg.length });
  });

  it('rejects bytes that contradict the declared type', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/png', body: jpeg });
    const failure = await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id }), 'TYPE_MISMATCH');
    expect(failure.message).toContain('image/jpeg');
  });

  it('rejects an executable declared as a PDF', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
    const { upload } = await seedUpload(deps, { contentType: 'application/pdf', body: elf });
    await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id }), 'UNSUPPORTED_TYPE');
  });

  it('passes a clean file only on clamd\'s explicit OK, heartbeating bytes scanned', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'image/jpeg', body: jpeg });
    const env = activityEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await expect(env.run(acts.scanUpload, { uploadId: upload.id })).resolves.toEqual({ clean: true });
    expect(beats.at(-1)).toEqual({ scanned: jpeg.length });
  });

  it('rejects EICAR as INFECTED, keeps the signature and moves the object to quarantine', async () => {
    const { upload, tenantId } = await seedUpload(deps, { contentType: 'text/plain', body: EICAR });
    const failure = await expectRejection(runActivity(acts.scanUpload, { uploadId: upload.id }), 'INFECTED');
    expect(failure.message).toMatch(/Eicar-Test-Signature/);
    expect(await deps.storage.head(upload.objectKey)).toBeNull();
    expect(await deps.storage.head(objectKeys.quarantine(tenantId, upload.id))).toMatchObject({ size: EICAR.length });
  });

  it('fails retryably when clamd is unreachable, and leaves the object where it was', async () => {
    const { upload } = await seedUpload(deps, { contentType: 'text/plain', body: EICAR });
    const offline = createActivities({
      ...deps,
      // nothing listens on port 1
      scanner: new ClamdScanner({ host: '127.0.0.1', port: 1, timeoutMs: 2_000 }),
    });
    const err = await runActivity(offline.scanUpload, { uploadId: upload.id }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/ECONNREFUSED/);
    expect(err instanceof ApplicationFailure && err.nonRetryable).toBe(false);
    expect(await deps.storage.head(upload.objectKey)).toMatchObject({ size: EICAR.length });
  });

  it('rejects a file larger than the scanner can vouch for without scanning it', async () => {
    const limited = createActivities({ ...deps, config: { ...deps.config, SCAN_MAX_BYTES: 10 } });
    const { upload } = await seedUpload(deps, { contentType: 'image/jpeg', body: jpeg });
    await expectRejection(runActivity(limited.scanUpload, { uploadId: upload.id }), 'SCAN_LIMIT_EXCEEDED');
  });
});
