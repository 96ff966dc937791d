import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MultipartStorage } from '../../src/storage/multipart';
import { objectKeys } from '../../src/storage/object-keys';
import { ObjectStorage } from '../../src/storage/object-storage';
import { ApiClient } from '../support/api-client';
import { MiB, partOf, putPart, settled, textBytes } from '../support/multipart-client';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'multipart-admin-token-0123456789';
// S3's smallest part, so a three-part file stays small.
const PART_SIZE = 5 * MiB;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('multipart uploads (HTTP API + worker processes, real MinIO and Temporal)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let storage: ObjectStorage;
  let multipart: MultipartStorage;
  let tenant: TenantCredentials;
  let api: ApiClient;
  // Three parts: two whole ones and a short last one.
  const file = textBytes(2 * PART_SIZE + 123_457, 'multipart');

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-multipart-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', MULTIPART_PART_SIZE: String(PART_SIZE) };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    tenant = await createTenant(started.url, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(started.url, tenant.apiKey);
    storage = new ObjectStorage(testConfig());
    multipart = new MultipartStorage(storage);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    storage?.destroy();
    await receiver.stop();
  });

  async function createMultipart(client = api, extra: Record<string, unknown> = {}) {
    const created = await client.post('/v1/uploads', { filename: 'big.txt', contentType: 'text/plain', size: file.length, mode: 'multipart', ...extra });
    expect(created.status).toBe(201);
    return created.body as { id: string; upload: { method: string; partSize: number; partCount: number }; expiresAt: string };
  }

  async function sendParts(id: string, numbers: number[], client = api) {
    const signed = await client.post(`/v1/uploads/${id}/parts`, { partNumbers: numbers });
    expect(signed.status).toBe(200);
    const etags: Record<number, string> = {};
    for (const part of signed.body.parts) {
      const put = await putPart(part, partOf(file, PART_SIZE, part.partNumber));
      expect([part.partNumber, put.status]).toEqual([part.partNumber, 200]);
      etags[part.partNumber] = put.etag!;
    }
    return etags;
  }

  it('uploads some parts, picks up after a reload from what storage holds, completes and becomes ready', async () => {
    const created = await createMultipart();
    expect(created.upload).toEqual({ method: 'MULTIPART', partSize: PART_SIZE, partCount: 3 });

    const signed = await api.post(`/v1/uploads/${created.id}/parts`, { partNumbers: [1, 2, 3] });
    expect(signed.body.parts.map((p: any) => [p.partNumber, p.headers['Content-Length']])).toEqual([
      [1, String(PART_SIZE)],
      [2, String(PART_SIZE)],
      [3, String(file.length - 2 * PART_SIZE)],
    ]);
    await sendParts(created.id, [2]);

    // The page reloads: it knows only the upload id and asks what storage already holds.
    const held = await api.get(`/v1/uploads/${created.id}/parts`);
    expect(held.status).toBe(200);
    expect(held.body.parts.map((p: any) => [p.partNumber, p.size])).toEqual([[2, PART_SIZE]]);
    const have = new Set(held.body.parts.map((p: any) => p.partNumber));
    const rest = [1, 2, 3].filter((n) => !have.has(n));
    const etags: Record<number, string> = { ...Object.fromEntries(held.body.parts.map((p: any) => [p.partNumber, p.etag])), ...(await sendParts(created.id, rest)) };

    const parts = [1, 2, 3].map((n) => ({ partNumber: n, etag: etags[n] }));
    const completed = await api.post(`/v1/uploads/${created.id}/complete`, { parts });
    expect([completed.status, completed.body.status]).toEqual([202, 'processing']);

    const view = await settled(api, created.id);
    expect(view).toMatchObject({ status: 'ready', size: file.length, sha256: sha256(file), error: null });
    // Assembled: nothing is left open in storage for this key.
    expect(await multipart.openUploadIds(objectKeys.incoming(tenant.id, created.id))).toEqual([]);
  });

  it('lets storage refuse a part of any other length than the one signed', async () => {
    const created = await createMultipart();
    const signed = await api.post(`/v1/uploads/${created.id}/parts`, { partNumbers: [1, 3] });
    const [first, last] = signed.body.parts;
    // The client sends its own, true Content-Length: it is not the signed one.
    const short = partOf(file, PART_SIZE, 1).subarray(1);
    expect((await putPart({ url: first.url, headers: { 'Content-Length': String(short.length) } }, short)).status).toBe(403);
    const long = partOf(file, PART_SIZE, 1);
    expect((await putPart({ url: last.url, headers: { 'Content-Length': String(long.length) } }, long)).status).toBe(403);
    expect((await api.get(`/v1/uploads/${created.id}/parts`)).body.parts).toEqual([]);
  });

  it('refuses to complete with a part missing (naming it), then completes without a parts list; twice is harmless', async () => {
    const created = await createMultipart();
    const etags = await sendParts(created.id, [1, 3]);

    const missing = await api.post(`/v1/uploads/${created.id}/complete`);
    expect([missing.status, missing.body.error.code]).toEqual([400, 'INCOMPLETE_UPLOAD']);
    expect(missing.body.error.message).toBe('missing parts: 2');
    const named = await api.post(`/v1/uploads/${created.id}/complete`, {
      parts: [{ partNumber: 1, etag: etags[1] }, { partNumber: 3, etag: etags[3] }],
    });
    expect([named.status, named.body.error.message]).toEqual([400, 'missing parts: 2']);
    // A part the client names with an ETag storage does not hold is not the part it means.
    const stale = await api.post(`/v1/uploads/${created.id}/complete`, {
      parts: [{ partNumber: 1, etag: etags[3] }, { partNumber: 2, etag: etags[1] }, { partNumber: 3, etag: etags[3] }],
    });
    expect([stale.status, stale.body.error.message]).toEqual([400, 'missing parts: 1, 2']);
    expect((await api.get(`/v1/uploads/${created.id}`)).body.status).toBe('awaiting_upload');

    await sendParts(created.id, [2]);
    const completed = await api.post(`/v1/uploads/${created.id}/complete`);
    expect([completed.status, completed.body.status]).toEqual([202, 'processing']);
    const again = await api.post(`/v1/uploads/${created.id}/complete`);
    expect(again.status).toBe(202);
    expect(['processing', 'ready']).toContain(again.body.status);

    const view = await settled(api, created.id);
    expect(view).toMatchObject({ status: 'ready', sha256: sha256(file) });
    const late = await api.post(`/v1/uploads/${created.id}/complete`);
    expect([late.status, late.body.status]).toEqual([202, 'ready']);
    await eventually(() => (receiver.outcomes(created.id).length ? true : undefined), 60_000, 'the webhook');
    expect(receiver.outcomes(created.id).map((h) => h.body.type)).toEqual(['upload.ready']);
  });

  it('answers 409 to parts calls on uploads that take no parts, 400 to part numbers outside the plan', async () => {
    const put = await api.post('/v1/uploads', { filename: 'a.txt', contentType: 'text/plain', size: 10 });
    for (const res of [
      await api.post(`/v1/uploads/${put.body.id}/parts`, { partNumbers: [1] }),
      await api.get(`/v1/uploads/${put.body.id}/parts`),
      await api.post(`/v1/uploads/${put.body.id}/complete`, { parts: [{ partNumber: 1, etag: '"abc"' }] }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([409, 'UPLOAD_STATE_CONFLICT']);
    }

    const created = await createMultipart();
    for (const partNumbers of [[4], [0], [], [1.5], Array.from({ length: 101 }, (_, i) => i + 1)]) {
      const res = await api.post(`/v1/uploads/${created.id}/parts`, { partNumbers });
      expect(res.status).toBe(400);
      expect(['INVALID_REQUEST', 'VALIDATION_FAILED']).toContain(res.body.error.code);
    }
    await sendParts(created.id, [1, 2, 3]);
    expect((await api.post(`/v1/uploads/${created.id}/complete`)).status).toBe(202);
    for (const res of [
      await api.post(`/v1/uploads/${created.id}/parts`, { partNumbers: [1] }),
      await api.get(`/v1/uploads/${created.id}/parts`),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([409, 'UPLOAD_STATE_CONFLICT']);
    }
    await settled(api, created.id);
  });

  it('lets an upload token drive its own multipart uploads, and no other', async () => {
    const minted = await api.post('/v1/upload-tokens', {});
    const other = await api.post('/v1/upload-tokens', {});
    const token = api.withToken(minted.body.token);
    const created = await createMultipart(token);
    await sendParts(created.id, [1, 2, 3], token);
    expect((await token.get(`/v1/uploads/${created.id}/parts`)).body.parts).toHaveLength(3);

    const stranger = api.withToken(other.body.token);
    for (const res of [
      await stranger.post(`/v1/uploads/${created.id}/parts`, { partNumbers: [1] }),
      await stranger.get(`/v1/uploads/${created.id}/parts`),
      await stranger.post(`/v1/uploads/${created.id}/complete`),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
    }
    expect((await token.post(`/v1/uploads/${created.id}/complete`)).status).toBe(202);
    expect(await settled(token, created.id)).toMatchObject({ status: 'ready', sha256: sha256(file) });
  });

  it('aborts the multipart upload of an upload that expires with parts uploaded', async () => {
    const created = await createMultipart(api, { expiresInSeconds: 10 });
    await sendParts(created.id, [1]);
    const key = objectKeys.incoming(tenant.id, created.id);
    expect(await multipart.openUploadIds(key)).toHaveLength(1);

    const view = await settled(api, created.id, ['expired'], 60_000);
    expect(view.error.code).toBe('UPLOAD_EXPIRED');
    expect(await multipart.openUploadIds(key)).toEqual([]);
    const complete = await api.post(`/v1/uploads/${created.id}/complete`);
    expect([complete.status, complete.body.error.code]).toEqual([410, 'UPLOAD_EXPIRED']);
  });

  it('still completes ordinary PUT uploads without a body', async () => {
    const id = await uploadFile(api, Buffer.from('plain text upload\n'), 'text/plain');
    expect(await settled(api, id)).toMatchObject({ status: 'ready' });
  });
});
