import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { mintToken } from '../support/front-door';
import { PlatformProcess, startApi } from '../support/platform';
import { eventually } from '../support/stack';
import { TenantCredentials, createTenant } from '../support/uploader';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const png = (size = 100) => ({ filename: 'a.png', contentType: 'image/png', size });

/** API keys and upload tokens against two real API processes (no worker: nothing here is processed). */
describe('credentials: API keys and upload tokens', () => {
  const processes: PlatformProcess[] = [];
  let apiA: ApiClient;
  let apiB: ApiClient;
  let tenant: TenantCredentials;

  beforeAll(async () => {
    const env = { ADMIN_TOKEN, WORK_DIR: join(await mkdtemp(join(tmpdir(), 'intake-credentials-')), 'work') };
    const [a, b] = await Promise.all([startApi(env), startApi(env)]);
    processes.push(a.proc, b.proc);
    tenant = await createTenant(a.url, ADMIN_TOKEN, 'https://example.com/hooks');
    apiA = new ApiClient(a.url, tenant.apiKey);
    apiB = new ApiClient(b.url, tenant.apiKey);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  });

  describe('API keys', () => {
    it('shows a new key once, lists keys without secrets, and records when a key was last used', async () => {
      const created = await apiA.post('/v1/api-keys', { name: 'ci' });
      expect(created.status).toBe(201);
      const { key, id, prefix } = created.body;
      expect(key).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);
      expect(key.startsWith(prefix)).toBe(true);
      expect(created.body.lastUsedAt).toBeNull();

      const listed = await apiA.get('/v1/api-keys');
      expect(listed.status).toBe(200);
      const names = listed.body.apiKeys.map((k: any) => k.name);
      expect(names).toEqual(expect.arrayContaining(['default', 'ci']));
      const text = JSON.stringify(listed.body);
      expect(text).not.toContain(key);
      expect(text).not.toMatch(/hash/i);
      const ci = listed.body.apiKeys.find((k: any) => k.id === id);
      expect(ci).toEqual({ id, name: 'ci', prefix, createdAt: expect.any(String), lastUsedAt: null });

      expect((await apiA.withToken(key).get('/v1/tenant')).status).toBe(200);
      const used = await eventually(
        async () => (await apiA.get('/v1/api-keys')).body.apiKeys.find((k: any) => k.id === id && k.lastUsedAt !== null),
        10_000,
        'lastUsedAt to be recorded',
      );
      expect(Date.parse(used.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(used.createdAt));
    });

    it('refuses a revoked key at once on every API instance', async () => {
      const { key, id } = (await apiA.post('/v1/api-keys', { name: 'to-revoke' })).body;
      expect((await apiA.withToken(key).get('/v1/tenant')).status).toBe(200);
      expect((await apiB.withToken(key).get('/v1/tenant')).status).toBe(200);

      expect((await apiA.call('DELETE', `/v1/api-keys/${id}`)).status).toBe(204);
      for (const api of [apiA, apiB]) {
        const res = await api.withToken(key).get('/v1/tenant');
        expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      }
      expect((await apiA.get('/v1/api-keys')).body.apiKeys.map((k: any) => k.id)).not.toContain(id);
      // Revoking twice: the key is no longer there.
      expect((await apiB.call('DELETE', `/v1/api-keys/${id}`)).status).toBe(404);
    });
  });

  describe('upload tokens', () => {
    it('cannot create more uploads than maxUploads', async () => {
      const token = apiA.withToken(await mintToken(apiA, { maxUploads: 2 }));
      expect((await token.post('/v1/uploads', png())).status).toBe(201);
      expect((await token.post('/v1/uploads', png())).status).toBe(201);
      const third = await token.post('/v1/uploads', png());
      expect([third.status, third.body.error.code]).toEqual([401, 'UPLOAD_TOKEN_EXHAUSTED']);
    });

    it('cannot exceed its maxFileSize or upload types outside allowedTypes', async () => {
      const token = apiA.withToken(await mintToken(apiA, { maxFileSize: 1000, allowedTypes: ['image/*'] }));
      const big = await token.post('/v1/uploads', png(1001));
      expect([big.status, big.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
      const video = await token.post('/v1/uploads', { filename: 'a.mp4', contentType: 'video/mp4', size: 100 });
      expect([video.status, video.body.error.code]).toEqual([400, 'TYPE_NOT_ALLOWED']);
      expect((await token.post('/v1/uploads', png(1000))).status).toBe(201);
      // The API key is bound by neither.
      expect((await apiA.post('/v1/uploads', { filename: 'a.mp4', contentType: 'video/mp4', size: 5000 })).status).toBe(201);
    });

    it('sees, completes and deletes only the uploads it created, even within its tenant', async () => {
      const mine = apiA.withToken(await mintToken(apiA));
      const theirs = apiA.withToken(await mintToken(apiA));
      const own = (await mine.post('/v1/uploads', png())).body.id;
      const other = (await theirs.post('/v1/uploads', png())).body.id;
      const byKey = (await apiA.post('/v1/uploads', png())).body.id;

      expect((await mine.get(`/v1/uploads/${own}`)).status).toBe(200);
      for (const id of [other, byKey]) {
        for (const res of [
          await mine.get(`/v1/uploads/${id}`),
          await mine.post(`/v1/uploads/${id}/complete`),
          await mine.call('DELETE', `/v1/uploads/${id}`),
        ]) {
          expect([res.status, res.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
        }
      }
      // The API key sees them all; the owner token may delete its own.
      expect((await apiA.get(`/v1/uploads/${other}`)).body.status).toBe('awaiting_upload');
      const deleted = await mine.call('DELETE', `/v1/uploads/${own}`);
      expect([deleted.status, deleted.body]).toEqual([200, { id: own, status: 'deleted' }]);
    });

    it('cannot list uploads, manage keys or tokens, or read the tenant', async () => {
      const token = apiA.withToken(await mintToken(apiA));
      const calls: Array<[string, string, unknown?]> = [
        ['GET', '/v1/uploads'],
        ['GET', '/v1/api-keys'],
        ['POST', '/v1/api-keys', { name: 'x' }],
        ['DELETE', '/v1/api-keys/00000000-0000-4000-8000-000000000000'],
        ['POST', '/v1/upload-tokens', {}],
        ['GET', '/v1/tenant'],
      ];
      for (const [method, path, body] of calls) {
        const res = await token.call(method, path, body);
        expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 403, 'TOKEN_NOT_PERMITTED']);
      }
    });

    it('stops working when it expires', async () => {
      const minted = await apiA.post('/v1/upload-tokens', { expiresInSeconds: 5 });
      const expiresAt = Date.parse(minted.body.expiresAt);
      const token = apiA.withToken(minted.body.token);
      const created = await token.post('/v1/uploads', png());
      expect(created.status).toBe(201);
      const refused = await eventually(
        async () => {
          const res = await apiB.withToken(minted.body.token).get(`/v1/uploads/${created.body.id}`);
          return res.status === 200 ? undefined : res;
        },
        30_000,
        'the token to expire',
      );
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect([refused.status, refused.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      const late = await token.post('/v1/uploads', png());
      expect([late.status, late.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      // What it created stays the tenant's.
      expect((await apiA.get(`/v1/uploads/${created.body.id}`)).status).toBe(200);
    });

    it('opens no upload window past its own expiry, and is refused at once once revoked', async () => {
      const minted = await apiA.post('/v1/upload-tokens', { expiresInSeconds: 600 });
      expect(minted.status).toBe(201);
      const token = apiA.withToken(minted.body.token);
      const created = await token.post('/v1/uploads', { ...png(), expiresInSeconds: 604_800 });
      expect(created.status).toBe(201);
      expect(Date.parse(created.body.expiresAt)).toBeLessThanOrEqual(Date.parse(minted.body.expiresAt));

      expect((await token.call('DELETE', `/v1/upload-tokens/${minted.body.id}`)).status).toBe(403);
      expect((await apiA.call('DELETE', `/v1/upload-tokens/${minted.body.id}`)).status).toBe(204);
      const after = await apiB.withToken(minted.body.token).get(`/v1/uploads/${created.body.id}`);
      expect([after.status, after.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      const again = await apiA.call('DELETE', `/v1/upload-tokens/${minted.body.id}`);
      expect([again.status, again.body.error.code]).toEqual([404, 'UPLOAD_TOKEN_NOT_FOUND']);
      expect((await apiA.get(`/v1/uploads/${created.body.id}`)).status).toBe(200);
    });

    it('puts its metadata on every upload it creates, over the client\'s', async () => {
      const token = apiA.withToken(await mintToken(apiA, { metadata: { userId: 'user-42', plan: 'pro' } }));
      const created = await token.post('/v1/uploads', { ...png(), metadata: { userId: 'someone-else', note: 'holiday' } });
      expect(created.status).toBe(201);
      const expected = { userId: 'user-42', plan: 'pro', note: 'holiday' };
      expect((await token.get(`/v1/uploads/${created.body.id}`)).body.clientMetadata).toEqual(expected);
      expect((await apiA.get(`/v1/uploads/${created.body.id}`)).body.clientMetadata).toEqual(expected);
    });
  });
});
