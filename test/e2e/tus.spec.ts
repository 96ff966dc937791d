import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload as TusUpload } from '@tus/utils';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TUS_HEADERS, runTus, sha256, textFile, tusMetadata, tusRequest } from '../support/tus-client';
import { tusKeys } from '../../src/tus/tus-keys';
import { tusStore } from '../support/tus-state';
import { TenantCredentials, createTenant } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const MiB = 1024 * 1024;
const TEXT = { 'Content-Type': 'application/offset+octet-stream' };

describe('tus uploads at /v1/tus (tus-js-client and raw tus against real API processes)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  /** Two instances behind "one address" (same database, S3 and Redis); the others test one behaviour each. */
  let apiA: string;
  let apiB: string;
  let faultyApi: PlatformProcess;
  let faultyUrl: string;
  let shortWindowUrl: string;
  let tenant: TenantCredentials;
  let api: ApiClient;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    const config = testConfig();
    const dir = await mkdtemp(join(tmpdir(), 'intake-tus-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', TUS_RECONCILE_INTERVAL_MS: '1000', TUS_RECONCILE_PAGE_SIZE: '2' };
    const [a, b, faulty, short] = await Promise.all([
      startApi(env),
      startApi(env),
      // The fault switch is only honoured under NODE_ENV=test: the first finish hook throws.
      startApi({ ...env, NODE_ENV: 'test', TUS_TEST_FAILING_FINISH_HOOKS: '1' }),
      startApi({ ...env, UPLOAD_URL_TTL_SECONDS: '8' }),
    ]);
    processes.push(a.proc, b.proc, faulty.proc, short.proc, await startWorker(env));
    [apiA, apiB, faultyApi, faultyUrl, shortWindowUrl] = [a.url, b.url, faulty.proc, faulty.url, short.url];
    tenant = await createTenant(apiA, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiA, tenant.apiKey);
    bucket = config.S3_BUCKET;
    s3 = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    });
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    s3?.destroy();
    await receiver.stop();
  });

  const idOf = (url: string) => url.split('/').pop()!;

  async function statusOf(id: string, want: string, timeoutMs = 120_000) {
    return eventually(
      async () => {
        const view = (await api.get(`/v1/uploads/${id}`)).body;
        if (view.status === want) return view;
        if (['ready', 'rejected', 'failed', 'expired'].includes(view.status)) throw new Error(`upload ended ${view.status}: ${JSON.stringify(view.error)}`);
        return undefined;
      },
      timeoutMs,
      `upload ${id} to be ${want}`,
    );
  }

  /** A raw creation: returns the tus URL. */
  async function create(base: string, token: string, length: number, body?: Buffer, metadata = { filename: 'a.txt', filetype: 'text/plain' }) {
    const res = await tusRequest('POST', `${base}/v1/tus`, token, { 'Upload-Length': String(length), 'Upload-Metadata': tusMetadata(metadata), ...(body ? TEXT : {}) }, body);
    expect(res.status).toBe(201);
    return res;
  }

  /** What is left of an upload's tus state in S3: bookkeeping objects and open multipart uploads. */
  async function tusState(id: string) {
    const state = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `tus/${tenant.id}/${id}` }));
    const multipart = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `incoming/${tenant.id}/${id}` }));
    return { objects: (state.Contents ?? []).length, multipartUploads: (multipart.Uploads ?? []).length };
  }

  async function offsetAfterStop(url: string, token: string): Promise<number> {
    const head = await tusRequest('HEAD', url, token);
    expect(head.status).toBe(200);
    expect(head.headers.get('cache-control')).toBe('no-store');
    return Number(head.headers.get('upload-offset'));
  }

  it('advertises tus 1.0 and its extensions without auth (OPTIONS)', async () => {
    const res = await fetch(`${apiA}/v1/tus`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-extension')!.split(',')).toEqual(expect.arrayContaining(['creation', 'creation-with-upload', 'termination', 'expiration']));
    expect(Number(res.headers.get('tus-max-size'))).toBeGreaterThan(0);
  });

  it('resumes an upload interrupted at about half: HEAD gives the offset, the upload ends ready with the right sha256', async () => {
    const bytes = textFile(20 * MiB);
    const first = await runTus(bytes, { endpoint: `${apiA}/v1/tus`, token: tenant.apiKey, stopAtFraction: 0.5, chunkSize: 4 * MiB });
    expect(first.stopped).toBe(true);
    const id = idOf(first.url);
    expect(first.url).toBe(`${apiA}/v1/tus/${id}`);

    const offset = await offsetAfterStop(first.url, tenant.apiKey);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(bytes.length);
    expect((await api.get(`/v1/uploads/${id}`)).body).toMatchObject({ status: 'awaiting_upload', size: bytes.length });

    const second = await runTus(bytes, { uploadUrl: first.url, token: tenant.apiKey, chunkSize: 4 * MiB });
    expect(second.stopped).toBe(false);
    const view = await statusOf(id, 'ready');
    expect(view).toMatchObject({ size: bytes.length, sha256: sha256(bytes), contentType: 'text/plain', filename: 'notes.txt' });

    // Finished: HEAD says complete (a client resuming it is done at once), further PATCHes are refused.
    const head = await tusRequest('HEAD', first.url, tenant.apiKey);
    expect([head.status, head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual([200, String(bytes.length), String(bytes.length)]);
    const patch = await tusRequest('PATCH', first.url, tenant.apiKey, { ...TEXT, 'Upload-Offset': String(bytes.length) }, Buffer.alloc(0));
    expect([patch.status, patch.body.error.code]).toEqual([409, 'UPLOAD_STATE_CONFLICT']);
    expect(await tusState(id)).toEqual({ objects: 0, multipartUploads: 0 });
  });

  it('takes a whole small file in its creation request (creation-with-upload)', async () => {
    const bytes = Buffer.from('all in one request\n');
    const created = await create(apiA, tenant.apiKey, bytes.length, bytes);
    expect(created.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(created.headers.get('upload-expires')).toBeNull();
    expect(await statusOf(idOf(created.headers.get('location')!), 'ready')).toMatchObject({ sha256: sha256(bytes) });
  });

  it('takes an upload whose length is declared only with its last PATCH (creation-defer-length)', async () => {
    const created = await tusRequest('POST', `${apiA}/v1/tus`, tenant.apiKey, {
      'Upload-Defer-Length': '1',
      'Upload-Metadata': tusMetadata({ filename: 'later.txt', filetype: 'text/plain' }),
    });
    const url = created.headers.get('location')!;
    expect((await tusRequest('HEAD', url, tenant.apiKey)).headers.get('upload-defer-length')).toBe('1');
    const first = await tusRequest('PATCH', url, tenant.apiKey, { ...TEXT, 'Upload-Offset': '0' }, Buffer.from('hello '));
    expect([first.status, first.headers.get('upload-offset')]).toEqual([204, '6']);
    const last = await tusRequest('PATCH', url, tenant.apiKey, { ...TEXT, 'Upload-Offset': '6', 'Upload-Length': '11' }, Buffer.from('world'));
    expect([last.status, last.headers.get('upload-offset')]).toEqual([204, '11']);
    expect(await statusOf(idOf(url), 'ready')).toMatchObject({ size: 11, sha256: sha256(Buffer.from('hello world')) });
    const head = await tusRequest('HEAD', url, tenant.apiKey);
    expect([head.status, head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual([200, '11', '11']);
  });

  it('resumes on a second API instance an upload begun on the first', async () => {
    const bytes = textFile(12 * MiB);
    const first = await runTus(bytes, { endpoint: `${apiA}/v1/tus`, token: tenant.apiKey, stopAtFraction: 0.5, chunkSize: 4 * MiB });
    const id = idOf(first.url);
    const onB = `${apiB}/v1/tus/${id}`;
    const offset = await offsetAfterStop(onB, tenant.apiKey);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(bytes.length);

    await runTus(bytes, { uploadUrl: onB, token: tenant.apiKey, chunkSize: 4 * MiB });
    expect(await statusOf(id, 'ready')).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
  });

  it('answers a PATCH at the wrong offset with 409 and leaves the upload as it was', async () => {
    const created = await create(apiA, tenant.apiKey, 10, Buffer.from('hello'));
    expect(created.headers.get('upload-offset')).toBe('5');
    expect(created.headers.get('upload-expires')).toBeTruthy();
    const url = created.headers.get('location')!;
    const wrong = await tusRequest('PATCH', url, tenant.apiKey, { ...TEXT, 'Upload-Offset': '3' }, Buffer.from('lo wo'));
    expect([wrong.status, wrong.body.error.code]).toEqual([409, 'UPLOAD_STATE_CONFLICT']);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await offsetAfterStop(url, tenant.apiKey)).toBe(5);

    const right = await tusRequest('PATCH', url, tenant.apiKey, { ...TEXT, 'Upload-Offset': '5' }, Buffer.from('world'));
    expect([right.status, right.headers.get('upload-offset')]).toEqual([204, '10']);
    expect(await statusOf(idOf(url), 'ready')).toMatchObject({ sha256: sha256(Buffer.from('helloworld')) });
  });

  it('refuses requests without a valid key or token with 401, in the catalogue format', async () => {
    const created = await create(apiA, tenant.apiKey, 10);
    const url = created.headers.get('location')!;
    const calls: Array<[string, string, string | undefined]> = [
      ['POST', `${apiA}/v1/tus`, undefined],
      ['HEAD', url, undefined],
      ['PATCH', url, 'ik_not-a-real-key'],
      ['DELETE', url, 'ut_not-a-real-token'],
    ];
    for (const [method, target, token] of calls) {
      const res = await tusRequest(method, target, token, { 'Upload-Length': '10', 'Upload-Offset': '0', ...TEXT }, method === 'PATCH' ? Buffer.from('x') : undefined);
      expect(res.status).toBe(401);
      if (method !== 'HEAD') expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it("answers 404 for another tenant's tus URL, or for another token's", async () => {
    const created = await create(apiA, tenant.apiKey, 10);
    const url = created.headers.get('location')!;
    const other = await createTenant(apiA, ADMIN_TOKEN, receiver.url);
    const token = (await api.post('/v1/upload-tokens', {})).body.token;
    for (const key of [other.apiKey, token]) {
      expect((await tusRequest('HEAD', url, key)).status).toBe(404);
      const patch = await tusRequest('PATCH', url, key, { ...TEXT, 'Upload-Offset': '0' }, Buffer.from('x'));
      expect([patch.status, patch.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
      expect((await tusRequest('DELETE', url, key)).status).toBe(404);
    }
    expect(await offsetAfterStop(url, tenant.apiKey)).toBe(0);
  });

  it('ends ready when the finish hook fails once (the reconciler signals the upload)', async () => {
    const bytes = textFile(64 * 1024);
    // The final PATCH answers 500; tus-js-client retries, finds every byte stored (HEAD) and succeeds.
    const run = await runTus(bytes, { endpoint: `${faultyUrl}/v1/tus`, token: tenant.apiKey, retryDelays: [200, 1000, 2000] });
    await faultyApi.waitForLog(/injected tus finish-hook failure/);
    expect(await statusOf(idOf(run.url), 'ready')).toMatchObject({ sha256: sha256(bytes) });
  });

  it('refuses zero-byte uploads with 400 and a stable code, declared or deferred', async () => {
    const zero = await tusRequest('POST', `${apiA}/v1/tus`, tenant.apiKey, {
      'Upload-Length': '0',
      'Upload-Metadata': tusMetadata({ filename: 'empty.txt', filetype: 'text/plain' }),
    });
    expect([zero.status, zero.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

    const deferred = await tusRequest('POST', `${apiA}/v1/tus`, tenant.apiKey, {
      'Upload-Defer-Length': '1',
      'Upload-Metadata': tusMetadata({ filename: 'empty.txt', filetype: 'text/plain' }),
    });
    expect(deferred.status).toBe(201);
    const declare = await tusRequest('PATCH', deferred.headers.get('location')!, tenant.apiKey, { ...TEXT, 'Upload-Offset': '0', 'Upload-Length': '0' }, Buffer.alloc(0));
    expect([declare.status, declare.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('refuses an Upload-Length over the limit with 413 FILE_TOO_LARGE, and bad metadata with 400', async () => {
    const huge = await tusRequest('POST', `${apiA}/v1/tus`, tenant.apiKey, {
      'Upload-Length': String(6 * 1024 ** 3),
      'Upload-Metadata': tusMetadata({ filename: 'big.mp4', filetype: 'video/mp4' }),
    });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    // The tenant's policy narrows the platform's limit.
    const small = await createTenant(apiA, ADMIN_TOKEN, receiver.url);
    const policy = await new ApiClient(apiA, ADMIN_TOKEN).call('PATCH', `/v1/admin/tenants/${small.id}`, { policy: { maxFileSize: 1000 } });
    expect(policy.status).toBe(200);
    const overPolicy = await tusRequest('POST', `${apiA}/v1/tus`, small.apiKey, {
      'Upload-Length': '1001',
      'Upload-Metadata': tusMetadata({ filename: 'a.txt', filetype: 'text/plain' }),
    });
    expect([overPolicy.status, overPolicy.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect((await create(apiA, small.apiKey, 1000)).status).toBe(201);
    const cases: Array<[Record<string, string>, string]> = [
      [{ filetype: 'text/plain' }, 'INVALID_REQUEST'],
      [{ filename: 'a\u202etxt.exe', filetype: 'text/plain' }, 'INVALID_REQUEST'],
      [{ filename: 'a.txt', filetype: 'text/plain; charset=utf-8' }, 'INVALID_REQUEST'],
      [{ filename: 'a.exe', filetype: 'application/x-msdownload' }, 'UNSUPPORTED_TYPE'],
      [{ filename: 'a.txt', filetype: 'text/plain', 'bad key': 'x' }, 'INVALID_REQUEST'],
    ];
    for (const [metadata, code] of cases) {
      const res = await tusRequest('POST', `${apiA}/v1/tus`, tenant.apiKey, { 'Upload-Length': '10', 'Upload-Metadata': tusMetadata(metadata) });
      expect([res.status, res.body?.error?.code, JSON.stringify(metadata)]).toEqual([400, code, JSON.stringify(metadata)]);
    }
    // Refusals tus makes before any of our code runs come in the catalogue's format too.
    const noVersion = await fetch(`${apiA}/v1/tus`, { method: 'POST', headers: { Authorization: `Bearer ${tenant.apiKey}`, 'Upload-Length': '10' } });
    expect([noVersion.status, ((await noVersion.json()) as any).error.code]).toEqual([412, 'INVALID_REQUEST']);
  });

  it("takes uploads from an upload token, within the token's maxFileSize", async () => {
    const token = (await api.post('/v1/upload-tokens', { maxFileSize: 5000, metadata: { user: 'u-1' } })).body.token;
    const bytes = textFile(3000);
    const run = await runTus(bytes, { endpoint: `${apiA}/v1/tus`, token, metadata: { album: 'holiday' } });
    expect(await statusOf(idOf(run.url), 'ready')).toMatchObject({ sha256: sha256(bytes), clientMetadata: { album: 'holiday', user: 'u-1' } });

    const over = await tusRequest('POST', `${apiA}/v1/tus`, token, {
      'Upload-Length': '5001',
      'Upload-Metadata': tusMetadata({ filename: 'a.txt', filetype: 'text/plain' }),
    });
    expect([over.status, over.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    const deferred = await tusRequest('POST', `${apiA}/v1/tus`, token, {
      'Upload-Defer-Length': '1',
      'Upload-Metadata': tusMetadata({ filename: 'a.txt', filetype: 'text/plain' }),
    });
    const declare = await tusRequest('PATCH', deferred.headers.get('location')!, token, { ...TEXT, 'Upload-Offset': '0', 'Upload-Length': '6000' }, Buffer.alloc(0));
    expect([declare.status, declare.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    const tooMuch = await tusRequest('PATCH', deferred.headers.get('location')!, token, { ...TEXT, 'Upload-Offset': '0' }, textFile(6000));
    expect([tooMuch.status, tooMuch.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(await offsetAfterStop(deferred.headers.get('location')!, token)).toBe(0);
  });

  it('terminates an upload on DELETE: its tus URL is gone', async () => {
    const created = await create(apiA, tenant.apiKey, 10, Buffer.from('hello'));
    const url = created.headers.get('location')!;
    expect((await tusRequest('DELETE', url, tenant.apiKey)).status).toBe(204);
    expect((await tusRequest('HEAD', url, tenant.apiKey)).status).toBe(404);
  });

  it('expires an upload with its window: its tus URL answers 410 and its tus data is removed', async () => {
    const created = await create(shortWindowUrl, tenant.apiKey, 1000, Buffer.from(textFile(400)));
    const url = created.headers.get('location')!;
    const id = idOf(url);
    expect(await tusState(id)).toEqual({ objects: 2, multipartUploads: 1 });
    const expires = Date.parse(created.headers.get('upload-expires')!);
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThan(Date.now() + 60_000);

    await statusOf(id, 'expired', 60_000);
    const head = await tusRequest('HEAD', url, tenant.apiKey);
    expect(head.status).toBe(410);
    const patch = await tusRequest('PATCH', url, tenant.apiKey, { ...TEXT, 'Upload-Offset': '400' }, Buffer.from('x'));
    expect([patch.status, patch.body.error.code]).toEqual([410, 'UPLOAD_EXPIRED']);

    // While the upload was open it had both: a multipart upload holding its parts and `.info`/`.part`.
    await eventually(
      async () => ((await tusState(id)).objects === 0 && (await tusState(id)).multipartUploads === 0 ? true : undefined),
      30_000,
      'the expired upload’s tus state and parts to be removed',
    );
  });

  it('assembles nothing from a PATCH that began inside the window and ended after it (410, no incoming object)', async () => {
    const created = await create(shortWindowUrl, tenant.apiKey, 1000);
    const url = created.headers.get('location')!;
    const id = idOf(url);
    const bytes = textFile(1000);
    let stream!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (stream = controller) });
    const patch = fetch(url, {
      method: 'PATCH',
      headers: { ...TUS_HEADERS, ...TEXT, Authorization: `Bearer ${tenant.apiKey}`, 'Upload-Offset': '0' },
      body,
      duplex: 'half',
    } as RequestInit);
    stream.enqueue(bytes.subarray(0, 500));
    // The window closes (the worker expires the upload) while the request is still open.
    await statusOf(id, 'expired', 60_000);
    stream.enqueue(bytes.subarray(500));
    stream.close();
    const res = await patch;
    expect([res.status, ((await res.json()) as any).error.code]).toEqual([410, 'UPLOAD_EXPIRED']);

    const incoming = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `incoming/${tenant.id}/${id}` }));
    expect(incoming.Contents ?? []).toEqual([]);
    await eventually(
      async () => ((await tusState(id)).objects === 0 && (await tusState(id)).multipartUploads === 0 ? true : undefined),
      30_000,
      'the late upload’s tus state to be removed',
    );
  });

  it('drops the state of an ended upload that sorts after more than a page of live ones (the reconciler pages on)', async () => {
    // Every API here looks at 2 uploads with tus state per pass; this tenant has 3 live ones.
    const crowded = await createTenant(apiA, ADMIN_TOKEN, receiver.url);
    const live: string[] = [];
    for (let i = 0; i < 3; i++) live.push(idOf((await create(apiA, crowded.apiKey, 1000, Buffer.from(textFile(400)))).headers.get('location')!));
    // State (`.info` and an open multipart upload) of an upload that no longer exists, sorting
    // after every live one of its tenant. The reconcilers may drop it at once: that is the point.
    const ended = `ffffffff-ffff-4fff-bfff-${randomBytes(6).toString('hex')}`;
    const id = tusKeys.storageId({ tenantId: crowded.id, uploadId: ended });
    await tusStore(testConfig()).create(new TusUpload({ id, size: 1000, offset: 0, metadata: { filename: 'a.txt', filetype: 'text/plain' } }));
    const stateOf = async (id: string) => (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `tus/${crowded.id}/${id}` }))).Contents ?? [];

    await eventually(async () => ((await stateOf(ended)).length === 0 ? true : undefined), 60_000, 'the ended upload’s tus state to be dropped');
    const multipart = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `incoming/${crowded.id}/${ended}` }));
    expect(multipart.Uploads ?? []).toEqual([]);
    // The live ones keep theirs.
    for (const id of live) expect(await stateOf(id)).toHaveLength(2);
  });

  it('keeps tus headers and X-Request-Id on tus responses', async () => {
    const created = await create(apiA, tenant.apiKey, 10);
    expect(created.headers.get('tus-resumable')).toBe(TUS_HEADERS['Tus-Resumable']);
    expect(created.headers.get('x-request-id')).toBeTruthy();
    const head = await tusRequest('HEAD', created.headers.get('location')!, tenant.apiKey, { 'X-Request-Id': 'tus-req-1' });
    expect(head.headers.get('x-request-id')).toBe('tus-req-1');
    expect(head.headers.get('upload-length')).toBe('10');
  });
});
