import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { ORIGINAL_CHANGED } from '../../activities/ingest';
import { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { WORKSPACE_LOST } from '../../workflows/contract';
import { objectKeys } from '../../src/storage/object-keys';
import { activityEnv, runActivity } from '../support/activity-env';
import { expectRejection } from '../support/failures';
import { EICAR, makeImage } from '../support/media';
import { RealDeps, ingestedUpload, realDeps, seedUpload, testSessions } from '../support/real-deps';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('verify and ingest activities (S3 + clamd + PostgreSQL)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let jpeg: Buffer;
  let png: Buffer;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    const dir = await mkdtemp(join(tmpdir(), 'intake-verify-'));
    await makeImage(join(dir, 'a.jpg'), 64, 48, 'jpeg');
    await makeImage(join(dir, 'b.png'), 64, 48, 'png');
    jpeg = await readFile(join(dir, 'a.jpg'));
    png = await readFile(join(dir, 'b.png'));
  });
  afterAll(() => deps.close());

  const keysOf = (upload: { tenantId: string; id: string }) => ({
    incoming: objectKeys.incoming(upload.tenantId, upload.id),
    original: objectKeys.original(upload.tenantId, upload.id),
    quarantine: objectKeys.quarantine(upload.tenantId, upload.id),
  });

  describe('verifyUpload', () => {
    it('checks the pinned object, copies it to the original and removes the incoming object', async () => {
      const { upload, etag } = await seedUpload(deps, { contentType: 'image/jpeg', body: jpeg });
      await expect(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! })).resolves.toEqual({
        kind: 'image',
        detectedType: 'image/jpeg',
      });
      const row = await deps.uploads.get(upload.id);
      expect([row.stage, row.kind, row.detectedType, row.sourceEtag]).toEqual(['verifying', 'image', 'image/jpeg', etag]);
      const keys = keysOf(upload);
      expect(await deps.storage.head(keys.incoming)).toBeNull();
      expect(await deps.storage.head(keys.original)).toMatchObject({ size: jpeg.length });

      // A retried verify reports the same verdict from what it recorded.
      await expect(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! })).resolves.toEqual({
        kind: 'image',
        detectedType: 'image/jpeg',
      });
    });

    it('rejects as TAMPERED when the object was replaced after complete, and copies nothing', async () => {
      const { upload, etag } = await seedUpload(deps, { contentType: 'image/png', body: png });
      const keys = keysOf(upload);
      // Same size and a valid PNG, so only the pin can tell.
      const other = Buffer.from(png);
      other[other.length - 20] ^= 0xff;
      await deps.storage.putBuffer(keys.incoming, other, 'image/png');
      await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! }), 'TAMPERED');
      expect(await deps.storage.head(keys.original)).toBeNull();
    });

    it('rejects a missing object', async () => {
      const { upload } = await seedUpload(deps, { contentType: 'image/jpeg', declaredSize: 10 });
      await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: '"x"' }), 'OBJECT_MISSING');
    });

    it('rejects an object whose size differs from the declared size', async () => {
      const { upload, etag } = await seedUpload(deps, { contentType: 'image/jpeg', body: jpeg, declaredSize: jpeg.length + 1 });
      const failure = await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! }), 'SIZE_MISMATCH');
      expect(failure.details?.[0]).toEqual({ declared: jpeg.length + 1, actual: jpeg.length });
    });

    it('rejects bytes that contradict the declared type', async () => {
      const { upload, etag } = await seedUpload(deps, { contentType: 'image/png', body: jpeg });
      const failure = await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! }), 'TYPE_MISMATCH');
      expect(failure.message).toContain('image/jpeg');
    });

    it('rejects an executable declared as a PDF', async () => {
      const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
      const { upload, etag } = await seedUpload(deps, { contentType: 'application/pdf', body: elf });
      await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! }), 'UNSUPPORTED_TYPE');
    });
  });

  describe('ingestOriginal', () => {
    async function verified(contentType: string, body: Buffer) {
      const seeded = await seedUpload(deps, { contentType, body });
      await runActivity(acts.verifyUpload, { uploadId: seeded.upload.id, etag: seeded.etag! });
      return seeded.upload;
    }

    it('reads the original once into a local copy, hashing and scanning the same bytes', async () => {
      const upload = await verified('image/jpeg', jpeg);
      const env = activityEnv();
      const beats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => beats.push(d));
      const result = await env.run(acts.ingestOriginal, { uploadId: upload.id });
      expect(result).toEqual({ taskQueue: deps.sessions.localQueue(env.context.info.taskQueue), sha256: sha256(jpeg) });
      expect((await deps.uploads.get(upload.id)).sha256).toBe(sha256(jpeg));
      const local = await deps.sessions.use(upload.id, async (s) => readFile(s.sourcePath));
      expect(local.equals(jpeg)).toBe(true);
    });

    it('lets the later steps run on the local copy alone: storage is not read again', async () => {
      const { upload } = await ingestedUpload(deps, acts, { contentType: 'image/jpeg', body: jpeg });
      await deps.storage.delete(keysOf(upload).original);
      await runActivity(acts.extractMetadata, { uploadId: upload.id });
      await runActivity(acts.processImage, { uploadId: upload.id });
      expect(deps.sessions.has(upload.id)).toBe(true);
      // The upload's last step frees the local copy.
      await runActivity(acts.createThumbnail, { uploadId: upload.id, releaseAfter: true });
      expect((await deps.uploads.listOutputs(upload.id)).map((o) => o.name)).toEqual(['optimized', 'thumbnail']);
      expect(deps.sessions.has(upload.id)).toBe(false);
      await runActivity(acts.releaseWorkspace, { uploadId: upload.id }); // idempotent
    });

    it('fences off an attempt that outlived its upload: what a finished upload serves never changes', async () => {
      const { upload } = await ingestedUpload(deps, acts, { contentType: 'image/jpeg', body: jpeg });
      await runActivity(acts.processImage, { uploadId: upload.id });
      await runActivity(acts.finishUpload, { uploadId: upload.id, status: 'ready', error: null });
      const [served] = await deps.uploads.listOutputs(upload.id);
      const before = await deps.storage.head(served!.objectKey);

      // A superseded attempt of the same step (another activity id and attempt) finishes late.
      const late = new MockActivityEnvironment({ activityId: 'late', attempt: 3 }, { logger: new DefaultLogger('WARN') });
      await expectRejection(late.run(acts.processImage, { uploadId: upload.id }), 'UPLOAD_ENDED');
      const [after] = await deps.uploads.listOutputs(upload.id);
      expect(after!.objectKey).toBe(served!.objectKey);
      expect((await deps.storage.head(served!.objectKey))?.etag).toBe(before?.etag);
      const lateKey = objectKeys.output(upload.tenantId, upload.id, 'late.3/optimized.webp');
      expect(await deps.storage.head(lateKey)).toBeNull();
    });

    it('a retried step replaces its earlier rendition and removes it', async () => {
      const { upload } = await ingestedUpload(deps, acts, { contentType: 'image/jpeg', body: jpeg });
      await new MockActivityEnvironment({ activityId: 'p', attempt: 1 }, { logger: new DefaultLogger('WARN') }).run(acts.processImage, { uploadId: upload.id });
      const [first] = await deps.uploads.listOutputs(upload.id);
      await new MockActivityEnvironment({ activityId: 'p', attempt: 2 }, { logger: new DefaultLogger('WARN') }).run(acts.processImage, { uploadId: upload.id });
      const [second] = await deps.uploads.listOutputs(upload.id);
      expect(second!.objectKey).not.toBe(first!.objectKey);
      expect(await deps.storage.head(first!.objectKey)).toBeNull();
      expect(await deps.storage.head(second!.objectKey)).not.toBeNull();
    });

    it('tells the workflow when a step lands on a worker without the local copy', async () => {
      const { upload } = await ingestedUpload(deps, acts, { contentType: 'image/jpeg', body: jpeg });
      const elsewhere = createActivities({ ...deps, sessions: testSessions(deps.config.WORK_DIR) });
      await expectRejection(runActivity(elsewhere.processImage, { uploadId: upload.id }), WORKSPACE_LOST);
    });

    it('on another worker: downloads the original again, checks its hash and does not scan twice', async () => {
      const { upload } = await ingestedUpload(deps, acts, { contentType: 'image/jpeg', body: jpeg });
      // This worker's clamd is unreachable: if it scanned, the step would fail.
      const second = createActivities({
        ...deps,
        sessions: testSessions(deps.config.WORK_DIR),
        scanner: new ClamdScanner({ host: '127.0.0.1', port: 1, timeoutMs: 2_000 }),
      });
      const result = await runActivity(second.ingestOriginal, { uploadId: upload.id });
      expect(result.sha256).toBe(sha256(jpeg));
    });

    it('refuses an original whose bytes are not the ones that were scanned', async () => {
      const { upload } = await ingestedUpload(deps, acts, { contentType: 'image/png', body: png });
      const other = Buffer.from(png);
      other[other.length - 20] ^= 0xff;
      await deps.storage.putBuffer(keysOf(upload).original, other, 'image/png');
      const err = await runActivity(acts.ingestOriginal, { uploadId: upload.id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect([(err as ApplicationFailure).type, (err as ApplicationFailure).nonRetryable]).toEqual([ORIGINAL_CHANGED, true]);
      expect(deps.sessions.has(upload.id)).toBe(false);
    });

    it('rejects EICAR as INFECTED, keeps the signature and moves the original to quarantine', async () => {
      const upload = await verified('text/plain', EICAR);
      const failure = await expectRejection(runActivity(acts.ingestOriginal, { uploadId: upload.id }), 'INFECTED');
      expect(failure.message).toMatch(/Eicar-Test-Signature/);
      const keys = keysOf(upload);
      expect(await deps.storage.head(keys.original)).toBeNull();
      expect(await deps.storage.head(keys.quarantine)).toMatchObject({ size: EICAR.length });
      expect(deps.sessions.has(upload.id)).toBe(false);
      expect((await deps.uploads.get(upload.id)).sha256).toBeNull();
    });

    it('fails retryably when clamd is unreachable, and leaves the original where it was', async () => {
      const upload = await verified('text/plain', EICAR);
      const offline = createActivities({
        ...deps,
        // nothing listens on port 1
        scanner: new ClamdScanner({ host: '127.0.0.1', port: 1, timeoutMs: 2_000 }),
      });
      const err = await runActivity(offline.ingestOriginal, { uploadId: upload.id }).catch((e: unknown) => e);
      expect(String(err)).toMatch(/ECONNREFUSED/);
      expect(err instanceof ApplicationFailure && err.nonRetryable).toBe(false);
      expect(await deps.storage.head(keysOf(upload).original)).toMatchObject({ size: EICAR.length });
      expect((await deps.uploads.get(upload.id)).sha256).toBeNull();
      expect(deps.sessions.has(upload.id)).toBe(false);
    });

    it('rejects a file larger than the scanner can vouch for without scanning it', async () => {
      const limited = createActivities({ ...deps, config: { ...deps.config, SCAN_MAX_BYTES: 10 } });
      const upload = await verified('image/jpeg', jpeg);
      await expectRejection(runActivity(limited.ingestOriginal, { uploadId: upload.id }), 'SCAN_LIMIT_EXCEEDED');
    });
  });
});
