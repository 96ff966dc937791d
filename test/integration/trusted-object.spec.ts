import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createActivities } from '../../activities';
import { objectKeys } from '../../src/storage/object-keys';
import { runActivity } from '../support/activity-env';
import { expectRejection } from '../support/failures';
import { EICAR, makeImage } from '../support/media';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';

/**
 * A client keeps its PUT URL after `complete`. Whenever it PUTs other bytes (same length, so
 * storage takes them), the pipeline either processes the bytes that were completed or rejects the
 * upload as TAMPERED: never the new bytes, never a mix. The real activities run in workflow order,
 * with the swap at every boundary between them.
 */
describe('one trusted object: a PUT after complete never changes what is scanned, processed or served', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let first: Buffer;
  let swapped: Buffer;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    const dir = await mkdtemp(join(tmpdir(), 'intake-trusted-'));
    await makeImage(join(dir, 'first.jpg'), 96, 64, 'jpeg');
    await makeImage(join(dir, 'other.jpg'), 40, 30, 'jpeg');
    first = await readFile(join(dir, 'first.jpg'));
    const other = await readFile(join(dir, 'other.jpg'));
    // Trailing bytes after a JPEG's end marker are ignored by decoders: a valid image of equal length.
    swapped = Buffer.concat([other, Buffer.alloc(first.length - other.length)]);
  });
  afterAll(() => deps.close());

  const steps = ['verify', 'ingest', 'metadata', 'process', 'thumbnail', 'release', 'finish'] as const;

  it.each(steps.map((step, i) => [i, step]))('swap before step %i (%s)', async (boundary) => {
    const { upload, etag } = await seedUpload(deps, { contentType: 'image/jpeg', body: first });
    const uploadId = upload.id;
    const swap = () => deps.storage.putBuffer(objectKeys.incoming(upload.tenantId, uploadId), swapped, 'image/jpeg');
    const run: Record<(typeof steps)[number], () => Promise<unknown>> = {
      verify: () => runActivity(acts.verifyUpload, { uploadId, etag: etag! }),
      ingest: () => runActivity(acts.ingestOriginal, { uploadId }),
      metadata: () => runActivity(acts.extractMetadata, { uploadId }),
      process: () => runActivity(acts.processImage, { uploadId }),
      thumbnail: () => runActivity(acts.createThumbnail, { uploadId }),
      release: () => runActivity(acts.releaseWorkspace, { uploadId }),
      finish: () => runActivity(acts.finishUpload, { uploadId, status: 'ready', error: null }),
    };

    for (const [i, step] of steps.entries()) {
      if (i === boundary) await swap();
      if (boundary === 0 && step === 'verify') {
        await expectRejection(run.verify(), 'TAMPERED');
        expect(await deps.storage.head(objectKeys.original(upload.tenantId, uploadId))).toBeNull();
        return;
      }
      await run[step]();
    }

    const row = await deps.uploads.get(uploadId);
    expect(row.sha256).toBe(createHash('sha256').update(first).digest('hex'));
    expect([row.metadata?.width, row.metadata?.height]).toEqual([96, 64]);
    const outputs = await deps.uploads.listOutputs(uploadId);
    for (const output of outputs) {
      const res = await fetch(await deps.storage.presignGet(output.objectKey, 60));
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect(meta.width! / meta.height!).toBeCloseTo(96 / 64, 1);
    }
    expect(outputs.map((o) => [o.name, o.width])).toEqual([
      ['optimized', 96],
      ['thumbnail', 96],
    ]);
    const served = await fetch(await deps.storage.presignGet(objectKeys.original(upload.tenantId, uploadId), 60));
    expect(Buffer.from(await served.arrayBuffer()).equals(first)).toBe(true);
    // Nothing the client wrote is kept once the upload has ended.
    expect(await deps.storage.head(objectKeys.incoming(upload.tenantId, uploadId))).toBeNull();
  });

  it('a scan verdict belongs to the completed bytes: EICAR swapped in after complete never passes', async () => {
    const notes = Buffer.from('quarterly notes, nothing to see here\n'.repeat(4));
    const eicar = Buffer.concat([EICAR, Buffer.alloc(notes.length - EICAR.length, 0x20)]);
    const { upload, etag } = await seedUpload(deps, { contentType: 'text/plain', body: notes });
    await deps.storage.putBuffer(objectKeys.incoming(upload.tenantId, upload.id), eicar, 'text/plain');
    await expectRejection(runActivity(acts.verifyUpload, { uploadId: upload.id, etag: etag! }), 'TAMPERED');
  });
});
