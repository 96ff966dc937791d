import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MultipartStorage } from '../../src/storage/multipart';
import { ObjectStorage } from '../../src/storage/object-storage';
import { ApiClient } from '../support/api-client';
import { MiB, UppyCompanionCalls, settled, textBytes } from '../support/multipart-client';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { testConfig } from '../support/stack';
import { TenantCredentials, createTenant } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'uppy-routes-admin-token-0123456789';
// Uppy's own part size for small files: S3's minimum, 5 MiB.
const UPPY_CHUNK = 5 * MiB;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Splits a file the way @uppy/aws-s3's S3Uploader does (5 MiB chunks, the last shorter). */
function chunks(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < file.length; offset += UPPY_CHUNK) out.push(file.subarray(offset, offset + UPPY_CHUNK));
  return out;
}

describe("Uppy's multipart routes (@uppy/aws-s3 with companionEndpoint, HTTP API + worker processes)", () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let apiUrl: string;
  let storage: ObjectStorage;
  let tenant: TenantCredentials;
  let api: ApiClient;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-uppy-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    apiUrl = started.url;
    tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    storage = new ObjectStorage(testConfig());
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    storage?.destroy();
    await receiver.stop();
  });

  /** A browser's view: an upload token minted by the tenant's backend, as Uppy's companionEndpoint. */
  async function uppyFor(limits: Record<string, unknown> = {}): Promise<UppyCompanionCalls> {
    const minted = await api.post('/v1/upload-tokens', limits);
    expect(minted.status).toBe(201);
    return new UppyCompanionCalls(`${apiUrl}/v1/uppy/${minted.body.token}`);
  }

  async function create(uppy: UppyCompanionCalls, filename = 'notes.txt') {
    const res = await uppy.createMultipartUpload(filename, 'text/plain', { name: filename, type: 'text/plain', relativePath: null, album: 'trip' });
    expect(res.ok).toBe(true);
    return (await res.json()) as { uploadId: string; key: string };
  }

  it('creates, signs, uploads, lists and completes as Uppy does, and the upload becomes ready', async () => {
    const uppy = await uppyFor();
    const file = textBytes(UPPY_CHUNK + 200_001, 'uppy');
    const { uploadId, key } = await create(uppy);
    expect(typeof uploadId).toBe('string');
    expect(typeof key).toBe('string');

    const parts = [];
    for (const [i, chunk] of chunks(file).entries()) {
      parts.push({ partNumber: i + 1, etag: await uppy.uploadPart(uploadId, key, i + 1, chunk) });
    }
    // Uppy lists parts when it resumes: PartNumber, Size and ETag per part.
    const listed = await uppy.listParts(uploadId, key);
    expect(listed.status).toBe(200);
    const held = (await listed.json()) as Array<{ PartNumber: number; Size: number; ETag: string }>;
    expect(held.map((p) => [p.PartNumber, p.Size, p.ETag.replace(/"/g, '')])).toEqual(
      parts.map((p, i) => [p.partNumber, chunks(file)[i]!.length, p.etag]),
    );

    const completed = await uppy.complete(uploadId, key, parts);
    expect(completed.status).toBe(200);
    const body = (await completed.json()) as { location: string; key: string };
    expect(body).toEqual({ location: `/v1/uploads/${uploadId}`, key });

    // An ordinary Intake upload: the tenant's backend sees it, with Uppy's string metadata.
    const view = await settled(api, uploadId);
    expect(view).toMatchObject({
      id: uploadId,
      status: 'ready',
      filename: 'notes.txt',
      contentType: 'text/plain',
      size: file.length,
      sha256: sha256(file),
    });
    // Strings only: Uppy's relativePath: null is left out.
    expect(view.clientMetadata).toEqual({ name: 'notes.txt', type: 'text/plain', album: 'trip' });
  });

  it('aborts: storage drops the parts and the part URLs stop working', async () => {
    const uppy = await uppyFor();
    const { uploadId, key } = await create(uppy);
    await uppy.uploadPart(uploadId, key, 1, textBytes(UPPY_CHUNK, 'aborted'));
    const multipart = new MultipartStorage(storage);
    expect(await multipart.openUploadIds(key)).toHaveLength(1);

    const signedBefore = (await (await uppy.signPart(uploadId, 2, key)).json()) as { url: string };

    const aborted = await uppy.abort(uploadId, key);
    expect(aborted.status).toBe(200);
    expect(await multipart.openUploadIds(key)).toEqual([]);
    expect((await fetch(signedBefore.url, { method: 'PUT', body: Buffer.from('late') })).status).toBe(404);
    // No new URLs either: the parts are gone.
    await expect(uppy.uploadPart(uploadId, key, 2, Buffer.from('late'))).rejects.toThrow(/sign part answered 409/);
    const completed = await uppy.complete(uploadId, key, [{ partNumber: 1, etag: 'abc' }]);
    expect(completed.ok).toBe(false);
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.status).toBe('awaiting_upload');
  });

  it("does not let a token use another upload's uploadId or key", async () => {
    const owner = await uppyFor();
    const stranger = await uppyFor();
    const mine = await create(owner, 'mine.txt');
    const second = await create(owner, 'second.txt');
    const theirs = await create(stranger, 'theirs.txt');

    const attempts: Array<[string, Promise<Response>]> = [
      // Another token's upload, with its real key.
      ['other token: sign', stranger.signPart(mine.uploadId, 1, mine.key)],
      ['other token: list', stranger.listParts(mine.uploadId, mine.key)],
      ['other token: complete', stranger.complete(mine.uploadId, mine.key, [{ partNumber: 1, etag: 'abc' }])],
      ['other token: abort', stranger.abort(mine.uploadId, mine.key)],
      // Its own upload id with a key it does not own: another upload's, another token's, or a key no client may write.
      ["own id, sibling's key", owner.signPart(mine.uploadId, 1, second.key)],
      ["own id, other token's key", owner.signPart(mine.uploadId, 1, theirs.key)],
      ['own id, original key', owner.signPart(mine.uploadId, 1, mine.key.replace(/^incoming\/([^/]+)\/([^/]+)$/, 'uploads/$1/$2/original'))],
      ['own id, no key', fetch(`${owner.companionEndpoint}/s3/multipart/${mine.uploadId}/1`)],
      ['not an upload id', owner.signPart('../../etc', 1, mine.key)],
    ];
    for (const [what, attempt] of attempts) {
      const res = await attempt;
      expect([what, res.status]).toEqual([what, 404]);
    }
    const noToken = await new UppyCompanionCalls(`${apiUrl}/v1/uppy/ut_not-a-token`).signPart(mine.uploadId, 1, mine.key);
    expect(noToken.status).toBe(401);
  });

  it("refuses part numbers no file within the token's maxFileSize needs", async () => {
    // 6 MiB: at most one 5 MiB part (S3's minimum) and a last one, so parts 1 and 2.
    const uppy = await uppyFor({ maxFileSize: 6 * MiB });
    const { uploadId, key } = await create(uppy);
    expect((await uppy.signPart(uploadId, 2, key)).status).toBe(200);
    for (const partNumber of [3, 10_000]) {
      const res = await uppy.signPart(uploadId, partNumber, key);
      expect([partNumber, res.status, ((await res.json()) as any).error.code]).toEqual([partNumber, 400, 'INVALID_REQUEST']);
    }
  });

  it("refuses with 413 parts totalling more than the token's maxFileSize: no more URLs, nothing assembled, the parts aborted", async () => {
    const uppy = await uppyFor({ maxFileSize: 6 * MiB });
    const { uploadId, key } = await create(uppy);
    // Part URLs carry no length (Uppy picks its part sizes): two full parts get past signing.
    const parts = [];
    for (const partNumber of [1, 2]) {
      parts.push({ partNumber, etag: await uppy.uploadPart(uploadId, key, partNumber, textBytes(UPPY_CHUNK, `over-${partNumber}`)) });
    }
    const more = await uppy.signPart(uploadId, 1, key);
    expect([more.status, ((await more.json()) as any).error.code]).toEqual([413, 'FILE_TOO_LARGE']);

    const completed = await uppy.complete(uploadId, key, parts);
    expect([completed.status, ((await completed.json()) as any).error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(await new MultipartStorage(storage).openUploadIds(key)).toEqual([]);
    expect(await storage.head(key)).toBeNull();
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.status).toBe('awaiting_upload');
  });

  it('signs client-sized part URLs for minutes, not for the whole upload window', async () => {
    const uppy = await uppyFor();
    const { uploadId, key } = await create(uppy);
    const signed = await uppy.signPart(uploadId, 1, key);
    const expires = Number(new URL(((await signed.json()) as { url: string }).url).searchParams.get('X-Amz-Expires'));
    expect(expires).toBeGreaterThan(0);
    expect(expires).toBeLessThanOrEqual(15 * 60);
  });

  it('refuses what open() refuses, with stable codes', async () => {
    const uppy = await uppyFor({ allowedTypes: ['image/*'] });
    const cases: Array<[Promise<Response>, number, string]> = [
      [uppy.createMultipartUpload('a.txt', 'text/plain', {}), 400, 'TYPE_NOT_ALLOWED'],
      [uppy.createMultipartUpload('a\u202egpj.exe', 'image/png', {}), 400, 'INVALID_REQUEST'],
      [uppy.createMultipartUpload('a.png', 'image/png; charset=x', {}), 400, 'INVALID_REQUEST'],
      [uppy.createMultipartUpload('a.png', 'image/png', { 'bad key': 'x' }), 400, 'INVALID_REQUEST'],
    ];
    for (const [attempt, status, code] of cases) {
      const res = await attempt;
      expect([res.status, ((await res.json()) as any).error.code]).toEqual([status, code]);
    }
  });
});
