import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { setPolicy, startTrackedWorker } from '../support/front-door';
import { makeImage, makeVideo } from '../support/media';
import { PlatformProcess, startApi } from '../support/platform';
import { eventually } from '../support/stack';
import { createTenant, uploadFile } from '../support/uploader';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/** Per-tenant policies, set by the operator and enforced at creation and on the actual bytes. */
describe('tenant policies (API and worker processes on the real stack)', () => {
  const processes: PlatformProcess[] = [];
  let dir: string;
  let apiUrl: string;
  let admin: ApiClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-policy-'));
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work') };
    const started = await startApi(env);
    processes.push(started.proc);
    await startTrackedWorker(env, processes);
    apiUrl = started.url;
    admin = new ApiClient(apiUrl, ADMIN_TOKEN);
    await Promise.all([
      makeImage(join(dir, 'photo.png'), 640, 480, 'png'),
      makeVideo(join(dir, 'clip.mp4'), { width: 320, height: 240, seconds: 1 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  });

  /** A tenant of its own per test, with this policy. */
  async function tenantWith(policy: Record<string, unknown>) {
    const tenant = await createTenant(apiUrl, ADMIN_TOKEN, 'https://example.com/hooks');
    await setPolicy(apiUrl, ADMIN_TOKEN, tenant.id, policy);
    return { ...tenant, api: new ApiClient(apiUrl, tenant.apiKey) };
  }

  async function settled(api: ApiClient, id: string) {
    return eventually(
      async () => {
        const view = (await api.get(`/v1/uploads/${id}`)).body;
        return ['ready', 'rejected', 'failed'].includes(view.status) ? view : undefined;
      },
      120_000,
      `upload ${id} to finish`,
    );
  }

  it('lets the operator set a policy and the tenant read it with its usage', async () => {
    const tenant = await createTenant(apiUrl, ADMIN_TOKEN, 'https://example.com/hooks');
    const policy = { allowedTypes: ['image/*'], maxFileSize: 5000, storageQuotaBytes: 100_000, rateLimit: { requests: 500, windowSeconds: 60 }, outputs: ['thumbnail'] };
    const patched = await admin.call('PATCH', `/v1/admin/tenants/${tenant.id}`, { policy });
    expect([patched.status, patched.body]).toEqual([200, { id: tenant.id, policy }]);

    const view = await new ApiClient(apiUrl, tenant.apiKey).get('/v1/tenant');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: tenant.id, policy, usage: { storedBytes: 0 } });
    expect(view.body.defaults.maxFileSize).toBeGreaterThan(0);

    const typo = await admin.call('PATCH', `/v1/admin/tenants/${tenant.id}`, { policy: { maxFilesize: 10 } });
    expect([typo.status, typo.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await admin.call('PATCH', '/v1/admin/tenants/00000000-0000-4000-8000-000000000000', { policy: {} });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'TENANT_NOT_FOUND']);
    const notAdmin = await new ApiClient(apiUrl, tenant.apiKey).call('PATCH', `/v1/admin/tenants/${tenant.id}`, { policy: {} });
    expect(notAdmin.status).toBe(401);
  });

  it('refuses types outside allowedTypes and sizes over maxFileSize at creation', async () => {
    const { api } = await tenantWith({ allowedTypes: ['image/*'], maxFileSize: 2000 });
    const video = await api.post('/v1/uploads', { filename: 'a.mp4', contentType: 'video/mp4', size: 100 });
    expect([video.status, video.body.error.code]).toEqual([400, 'TYPE_NOT_ALLOWED']);
    const big = await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 2001 });
    expect([big.status, big.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect((await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 2000 })).status).toBe(201);
  });

  it('rejects at verify a file whose sniffed type the policy forbids, though its declared type is allowed', async () => {
    // MP4 declared as QuickTime passes the declared-type check (same container); the bytes are MP4.
    const { api } = await tenantWith({ allowedTypes: ['video/quicktime'] });
    const id = await uploadFile(api, join(dir, 'clip.mp4'), 'video/quicktime');
    const view = await settled(api, id);
    expect([view.status, view.error?.code]).toEqual(['rejected', 'TYPE_NOT_ALLOWED']);
    expect(view.outputs).toEqual([]);
    // The same bytes are accepted where MP4 is allowed: it is the policy that refused them.
    const { api: open } = await tenantWith({ allowedTypes: ['video/quicktime', 'video/mp4'] });
    expect((await settled(open, await uploadFile(open, join(dir, 'clip.mp4'), 'video/quicktime'))).status).toBe('ready');
  });

  it('counts storage against the quota, refuses uploads over it, and frees it on DELETE', async () => {
    const pngSize = (await stat(join(dir, 'photo.png'))).size;
    const quota = pngSize * 4;
    const { api } = await tenantWith({ storageQuotaBytes: quota });
    const id = await uploadFile(api, join(dir, 'photo.png'), 'image/png');
    const view = await settled(api, id);
    expect(view.status).toBe('ready');
    const stored = pngSize + view.outputs.reduce((sum: number, o: { size: number }) => sum + o.size, 0);
    expect((await api.get('/v1/tenant')).body.usage.storedBytes).toBe(stored);

    const tooMuch = { filename: 'b.png', contentType: 'image/png', size: quota - stored + 1 };
    const refused = await api.post('/v1/uploads', tooMuch);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'QUOTA_EXCEEDED']);

    expect((await api.call('DELETE', `/v1/uploads/${id}`)).status).toBe(200);
    expect((await api.get('/v1/tenant')).body.usage.storedBytes).toBe(0);
    expect((await api.post('/v1/uploads', tooMuch)).status).toBe(201);
    expect((await api.get('/v1/tenant')).body.usage.storedBytes).toBe(tooMuch.size);
  });

  it('produces only the outputs the policy names', async () => {
    const { api } = await tenantWith({ outputs: ['thumbnail'] });
    const view = await settled(api, await uploadFile(api, join(dir, 'photo.png'), 'image/png'));
    expect(view.status).toBe('ready');
    expect(view.outputs.map((o: { name: string }) => o.name)).toEqual(['thumbnail']);
  });
});
