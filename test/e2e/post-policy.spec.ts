import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectKeys } from '../../src/storage/object-keys';
import { ObjectStorage } from '../../src/storage/object-storage';
import { ApiClient, putPresigned } from '../support/api-client';
import { postForm, startApiOnStackPort } from '../support/form-upload';
import { makeImage } from '../support/media';
import { PlatformProcess, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'post-policy-admin-token-0123456789';

/**
 * Form uploads (`mode: "post"` and Uppy's s3/params): storage itself enforces the policy, and Intake
 * notices the bytes without a `complete` call. The API runs on the stack's port, where MinIO sends
 * its bucket notifications; the worker starts only once arrival has been shown to need no polling.
 */
describe('POST-policy uploads (HTTP API + worker processes, MinIO notifications)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  const storage = new ObjectStorage(testConfig());
  let dir: string;
  let env: Record<string, string>;
  let apiProc: PlatformProcess;
  let apiUrl: string;
  let tenant: TenantCredentials;
  let api: ApiClient;
  let photo: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-post-'));
    await receiver.start();
    env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApiOnStackPort(env);
    apiProc = started.proc;
    apiUrl = started.url;
    processes.push(apiProc);
    tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    await makeImage(join(dir, 'photo.jpg'), 320, 200, 'jpeg');
    photo = await readFile(join(dir, 'photo.jpg'));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    storage.destroy();
    await receiver.stop();
  });

  async function createPost(size = photo.length, contentType = 'image/jpeg') {
    const created = await api.post('/v1/uploads', { filename: 'photo.jpg', contentType, size, mode: 'post' });
    expect(created.status).toBe(201);
    expect(created.body.upload).toEqual({ method: 'POST', url: expect.any(String), fields: expect.any(Object) });
    return created.body as { id: string; upload: { url: string; fields: Record<string, string> }; expiresAt: string };
  }

  const incomingOf = (id: string) => objectKeys.incoming(tenant.id, id);
  const status = async (id: string) => (await api.get(`/v1/uploads/${id}`)).body.status as string;

  it('signs a policy that pins the key, the exact type, the size and the upload window', async () => {
    const created = await createPost();
    const policy = JSON.parse(Buffer.from(created.upload.fields.Policy!, 'base64').toString('utf8'));
    expect(created.upload.fields).toMatchObject({ key: incomingOf(created.id), 'Content-Type': 'image/jpeg' });
    expect(policy.expiration).toBe(created.expiresAt.replace(/\.\d{3}Z$/, 'Z'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { key: incomingOf(created.id) },
        { 'Content-Type': 'image/jpeg' },
        ['content-length-range', photo.length, photo.length],
      ]),
    );
    // Signed by the write-only user, never the root credentials.
    expect(created.upload.fields['X-Amz-Credential']).toMatch(new RegExp(`^${process.env.S3_PRESIGN_ACCESS_KEY_ID}/`));
  });

  it('has storage refuse a bigger or smaller file, another Content-Type and another key', async () => {
    const { id, upload } = await createPost();
    const otherKey = objectKeys.incoming(tenant.id, randomUUID());
    const attempts: Array<[string, Record<string, string>, Buffer]> = [
      ['one byte more', upload.fields, Buffer.concat([photo, Buffer.from([0])])],
      ['one byte less', upload.fields, photo.subarray(0, photo.length - 1)],
      ['another Content-Type', { ...upload.fields, 'Content-Type': 'text/html' }, photo],
      ['another key', { ...upload.fields, key: otherKey }, photo],
    ];
    for (const [what, fields, bytes] of attempts) {
      const res = await postForm(upload.url, fields, bytes);
      expect({ what, refused: res.status >= 400 && res.status < 500 }).toEqual({ what, refused: true });
    }
    expect(await storage.head(incomingOf(id))).toBeNull();
    expect(await storage.head(otherKey)).toBeNull();
    expect(await status(id)).toBe('awaiting_upload');
  });

  it('gets the notifications MinIO queued while the API was down once it is back', async () => {
    const { id, upload } = await createPost();
    await apiProc.stop();
    expect((await postForm(upload.url, upload.fields, photo)).status).toBe(204);
    apiProc = (await startApiOnStackPort(env)).proc;
    processes.push(apiProc);
    // Still no worker: only the replayed notification can move it.
    await eventually(async () => ((await status(id)) === 'processing' ? true : undefined), 60_000, 'the queued notification');
    expect(apiProc.logs).toMatch(new RegExp(`"uploadId":"${id}"[^\\n]*upload arrival noticed by a storage event`));
  });

  it('notices a file within the policy from the bucket notification alone, then processes it to ready; complete stays harmless', async () => {
    const { id, upload } = await createPost();
    expect((await postForm(upload.url, upload.fields, photo)).status).toBe(204);

    // No worker is running, so nothing polls: only MinIO's notification can have moved it.
    await eventually(async () => ((await status(id)) === 'processing' ? true : undefined), 30_000, 'the notification to mark the upload processing');
    expect(apiProc.logs).toMatch(new RegExp(`"uploadId":"${id}"[^\\n]*upload arrival noticed by a storage event`));

    processes.push(await startWorker(env, 'worker-post'));
    const hook = await webhookFor(receiver, id, 120_000);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.ready' });
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view).toMatchObject({ status: 'ready', size: photo.length, contentType: 'image/jpeg' });
    expect(view.outputs.map((o: { name: string }) => o.name).sort()).toEqual(['optimized', 'thumbnail']);

    const completed = await api.post(`/v1/uploads/${id}/complete`);
    expect(completed).toEqual({ status: 202, body: { id, status: 'ready' } });
    expect((await api.get(`/v1/uploads/${id}`)).body).toMatchObject({ status: 'ready', sha256: view.sha256 });
  });

  describe('the storage-events route', () => {
    const events = (token?: string) => new ApiClient(apiUrl, token);
    const notification = (key: string) => ({
      EventName: 's3:ObjectCreated:Put',
      Key: `intake/${key}`,
      Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'intake' }, object: { key: encodeURIComponent(key) } } }],
    });

    it('refuses callers without the shared token', async () => {
      for (const token of [undefined, 'not-the-storage-events-token', tenant.apiKey]) {
        const res = await events(token).post('/v1/storage-events', notification(incomingOf(randomUUID())));
        expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      }
    });

    it('takes nothing from the event but the key: no object, no arrival; put uploads still wait for complete', async () => {
      const post = await createPost();
      const sender = events(process.env.STORAGE_EVENTS_TOKEN);
      expect((await sender.post('/v1/storage-events', notification(incomingOf(post.id)))).status).toBe(204);

      const put = await api.post('/v1/uploads', { filename: 'photo.jpg', contentType: 'image/jpeg', size: photo.length });
      expect((await putPresigned(put.body.upload.url, put.body.upload.headers, photo)).status).toBe(200);
      expect((await sender.post('/v1/storage-events', notification(incomingOf(put.body.id)))).status).toBe(204);
      // Keys that are not incoming keys, and bodies that are not notifications, are ignored.
      expect((await sender.post('/v1/storage-events', notification(`uploads/${tenant.id}/${post.id}/original`))).status).toBe(204);
      expect((await sender.post('/v1/storage-events', { Records: 'nonsense' })).status).toBe(204);

      expect(await status(post.id)).toBe('awaiting_upload');
      expect(await status(put.body.id)).toBe('awaiting_upload');
      expect((await api.post(`/v1/uploads/${put.body.id}/complete`)).status).toBe(202);
    });
  });

  describe("Uppy's s3/params route", () => {
    async function uploadToken(body: Record<string, unknown> = {}): Promise<string> {
      const res = await api.post('/v1/upload-tokens', body);
      expect(res.status).toBe(201);
      return res.body.token;
    }
    const params = (token: string, query: string) => new ApiClient(apiUrl).get(`/v1/uppy/${token}/s3/params?${query}`);

    it('creates an upload with no declared size, held to the limit by storage, that reaches ready', async () => {
      const token = await uploadToken();
      const res = await params(token, 'filename=cat.jpg&type=image%2Fjpeg&metadata%5Bname%5D=cat.jpg&metadata%5Balbum%5D=pets');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ method: 'POST', url: expect.any(String), fields: expect.objectContaining({ 'Content-Type': 'image/jpeg' }) });
      const id = /^incoming\/[^/]+\/([^/]+)$/.exec(res.body.fields.key)![1]!;

      expect((await postForm(res.body.url, res.body.fields, photo)).status).toBe(204);
      const hook = await webhookFor(receiver, id, 120_000);
      expect(hook.body.type).toBe('upload.ready');
      expect((await api.get(`/v1/uploads/${id}`)).body).toMatchObject({
        status: 'ready',
        size: photo.length,
        clientMetadata: { name: 'cat.jpg', album: 'pets' },
      });
    });

    it("has storage refuse a file over the token's limit", async () => {
      const token = await uploadToken({ maxFileSize: 1000 });
      const res = await params(token, 'filename=big.jpg&type=image%2Fjpeg');
      const policy = JSON.parse(Buffer.from(res.body.fields.Policy, 'base64').toString('utf8'));
      expect(policy.conditions).toContainEqual(['content-length-range', 1, 1000]);
      expect((await postForm(res.body.url, res.body.fields, photo)).status).toBe(400);
      expect(await storage.head(res.body.fields.key)).toBeNull();
    });

    it('validates filename and type as POST /v1/uploads does', async () => {
      const token = await uploadToken();
      const cases: Array<[string, number, string]> = [
        ['filename=a%0Ab.jpg&type=image%2Fjpeg', 400, 'INVALID_REQUEST'],
        ['filename=a.jpg&type=image%2Fjpeg%3B%20charset%3Dutf-8', 400, 'INVALID_REQUEST'],
        ['filename=a.jpg', 400, 'VALIDATION_FAILED'],
        ['filename=a.jpg&type=image%2Fjpeg&extra=1', 400, 'VALIDATION_FAILED'],
        ['filename=a.jpg&type=image%2Fjpeg&metadata%5Bbad%20key%5D=x', 400, 'INVALID_REQUEST'],
        ['filename=a.jpg&type=application%2Fx-msdownload', 400, 'UNSUPPORTED_TYPE'],
      ];
      for (const [query, code, error] of cases) {
        const res = await params(token, query);
        expect({ query, status: res.status, code: res.body.error?.code }).toEqual({ query, status: code, code: error });
      }
      const unknown = await params('ut_not-a-token', 'filename=a.jpg&type=image%2Fjpeg');
      expect([unknown.status, unknown.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    });
  });
});
