import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { PlatformProcess, startApi } from '../support/platform';
import { createTenant } from '../support/uploader';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

describe('GET /v1/uploads (a real API process)', () => {
  const processes: PlatformProcess[] = [];
  let api: ApiClient;
  let apiUrl: string;

  beforeAll(async () => {
    const started = await startApi({ ADMIN_TOKEN, WORK_DIR: join(await mkdtemp(join(tmpdir(), 'intake-list-')), 'work') });
    processes.push(started.proc);
    apiUrl = started.url;
    api = new ApiClient(apiUrl, (await createTenant(apiUrl, ADMIN_TOKEN, 'https://example.com/hooks')).apiKey);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  });

  async function createUploads(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await api.post('/v1/uploads', { filename: `f${i}.png`, contentType: 'image/png', size: 10 + i });
      ids.push(res.body.id);
    }
    return ids;
  }

  it('pages through a tenant\'s uploads newest first, each exactly once', async () => {
    const ids = await createUploads(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    const pageSizes: number[] = [];
    do {
      const res: { status: number; body: any } = await api.get(`/v1/uploads?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      pageSizes.push(res.body.uploads.length);
      seen.push(...res.body.uploads.map((u: { id: string }) => u.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([...ids].reverse());

    const first = (await api.get('/v1/uploads')).body.uploads[0];
    expect(first).toMatchObject({ id: ids[4], status: 'awaiting_upload', filename: 'f4.png', size: 14, outputs: [] });
    // Uploads created after a page was read do not shift the next one.
    const page1 = (await api.get('/v1/uploads?limit=2')).body;
    await createUploads(1);
    const page2 = (await api.get(`/v1/uploads?limit=2&cursor=${page1.nextCursor}`)).body;
    expect(page2.uploads.map((u: { id: string }) => u.id)).toEqual([ids[2], ids[1]]);
  });

  it('filters by status', async () => {
    const tenantApi = api.withToken((await createTenant(apiUrl, ADMIN_TOKEN, 'https://example.com/hooks')).apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await tenantApi.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 10 })).body.id);
    expect((await tenantApi.call('DELETE', `/v1/uploads/${ids[1]}`)).status).toBe(200);
    const deleted = (await tenantApi.get('/v1/uploads?status=deleted')).body;
    expect([deleted.uploads.map((u: { id: string }) => u.id), deleted.nextCursor]).toEqual([[ids[1]], null]);
    const awaiting = (await tenantApi.get('/v1/uploads?status=awaiting_upload')).body;
    expect(awaiting.uploads.map((u: { id: string }) => u.id)).toEqual([ids[2], ids[0]]);
  });

  it('refuses bad parameters with VALIDATION_FAILED', async () => {
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'status=bogus', 'cursor=not-a-cursor', `cursor=${forged}`, 'surprise=1']) {
      const res = await api.get(`/v1/uploads?${query}`);
      expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
  });
});
