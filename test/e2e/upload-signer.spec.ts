import { CreateMultipartUploadCommand, AbortMultipartUploadCommand, GetObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectKeys } from '../../src/storage/object-keys';
import { ObjectStorage } from '../../src/storage/object-storage';
import { ApiClient, putPresigned } from '../support/api-client';
import { postForm } from '../support/form-upload';
import { makeImage } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { testConfig } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'signer-admin-token-0123456789';

/**
 * The attack: MinIO acts on an `x-amz-copy-source` header nobody signed, so a presigned PUT URL
 * plus that header is a CopyObject with the signer's rights. Upload URLs are signed by a user that
 * may only write under incoming/, so naming another tenant's original is refused.
 */
describe('upload URLs signed by the write-only user (HTTP API + worker processes)', () => {
  const config = testConfig();
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  const storage = new ObjectStorage(config);
  let victim: TenantCredentials;
  let attacker: TenantCredentials;
  let photo: Buffer;
  let apiUrl: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-signer-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    apiUrl = started.url;
    processes.push(started.proc);
    processes.push(await startWorker(env, 'worker-signer'));
    victim = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    attacker = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    await makeImage(join(dir, 'photo.jpg'), 160, 90, 'jpeg');
    photo = await readFile(join(dir, 'photo.jpg'));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    storage.destroy();
    await receiver.stop();
  });

  it('is configured: the stack gives the app restricted upload credentials', () => {
    expect(config.S3_PRESIGN_ACCESS_KEY_ID).toBeTruthy();
    expect(config.S3_PRESIGN_ACCESS_KEY_ID).not.toBe(config.S3_ACCESS_KEY_ID);
    expect(storage.uploadsSignedWithRestrictedCredentials).toBe(true);
  });

  it("refuses a presigned PUT with an added x-amz-copy-source naming another tenant's original; the plain PUT still works", async () => {
    const victimApi = new ApiClient(apiUrl, victim.apiKey);
    const victimId = await uploadFile(victimApi, photo, 'image/jpeg');
    expect((await webhookFor(receiver, victimId, 120_000)).body.type).toBe('upload.ready');
    const original = objectKeys.original(victim.id, victimId);
    expect(await storage.head(original)).not.toBeNull();

    const attackerApi = new ApiClient(apiUrl, attacker.apiKey);
    const created = await attackerApi.post('/v1/uploads', { filename: 'x.jpg', contentType: 'image/jpeg', size: photo.length });
    expect(created.status).toBe(201);
    const { url, headers } = created.body.upload;
    const incoming = objectKeys.incoming(attacker.id, created.body.id);

    const copy = await putPresigned(url, { ...headers, 'x-amz-copy-source': `${config.S3_BUCKET}/${original}` }, Buffer.alloc(photo.length));
    expect(copy.status).toBe(403);
    expect(await storage.head(incoming)).toBeNull();

    expect((await putPresigned(url, headers, photo)).status).toBe(200);
    expect((await attackerApi.post(`/v1/uploads/${created.body.id}/complete`)).status).toBe(202);
    const hook = await webhookFor(receiver, created.body.id, 120_000);
    expect(hook.body.type).toBe('upload.ready');
    // Download URLs are signed apart (they need reads): the outputs are served.
    for (const output of (await attackerApi.get(`/v1/uploads/${created.body.id}`)).body.outputs) {
      expect((await fetch(output.url)).status).toBe(200);
    }
  });

  it('signs POST policies that storage accepts', async () => {
    const api = new ApiClient(apiUrl, attacker.apiKey);
    const created = await api.post('/v1/uploads', { filename: 'x.jpg', contentType: 'image/jpeg', size: photo.length, mode: 'post' });
    const { url, fields } = created.body.upload;
    expect(fields['X-Amz-Credential']).toMatch(new RegExp(`^${config.S3_PRESIGN_ACCESS_KEY_ID}/`));
    expect((await postForm(url, fields, photo)).status).toBe(204);
  });

  it('lets the signing user write multipart parts under incoming/, never copy a part from elsewhere or read', async () => {
    const signer = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_PRESIGN_ACCESS_KEY_ID!, secretAccessKey: config.S3_PRESIGN_SECRET_ACCESS_KEY! },
    });
    const admin = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    });
    const key = objectKeys.incoming(attacker.id, '00000000-0000-4000-8000-000000000001');
    const secret = objectKeys.original(victim.id, '00000000-0000-4000-8000-000000000002');
    await storage.putBuffer(secret, Buffer.from('not yours'), 'text/plain');
    const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket: config.S3_BUCKET, Key: key }));
    try {
      const partUrl = await getSignedUrl(signer, new UploadPartCommand({ Bucket: config.S3_BUCKET, Key: key, UploadId, PartNumber: 1 }), { expiresIn: 300 });
      expect((await putPresigned(partUrl, { 'x-amz-copy-source': `${config.S3_BUCKET}/${secret}` }, Buffer.alloc(0))).status).toBe(403);
      expect((await putPresigned(partUrl, {}, Buffer.from('part one'))).status).toBe(200);
      const readUrl = await getSignedUrl(signer, new GetObjectCommand({ Bucket: config.S3_BUCKET, Key: secret }), { expiresIn: 300 });
      expect((await fetch(readUrl)).status).toBe(403);
    } finally {
      await admin.send(new AbortMultipartUploadCommand({ Bucket: config.S3_BUCKET, Key: key, UploadId }));
      await storage.delete(secret);
      signer.destroy();
      admin.destroy();
    }
  });
});
