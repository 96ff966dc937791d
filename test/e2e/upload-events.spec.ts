import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, putPresigned } from '../support/api-client';
import { launchChromium } from '../support/browser';
import { EventStreamReader, ServerSentEvent, openEventStream } from '../support/event-stream';
import { makeImage } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually } from '../support/stack';
import { TenantCredentials, createTenant } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
// An image's way through the pipeline, in order (stage `processing` is the rendition step).
const STAGES = ['awaiting_upload', 'verifying', 'scanning', 'extracting_metadata', 'processing', 'thumbnailing', 'finalizing', 'done'];
const STATUSES = ['awaiting_upload', 'processing', 'ready'];

/** Whether `b` comes strictly after `a`, compared field by field like a version number. */
function comesAfter(a: number[], b: number[]): boolean {
  const i = a.findIndex((x, k) => x !== b[k]);
  return i >= 0 && b[i]! > a[i]!;
}

const views = (events: ServerSentEvent[]) => events.map((e) => JSON.parse(e.data));
const steps = (events: ServerSentEvent[]) => views(events).map((v) => `${v.status}/${v.stage}/${v.progress}`);

/** GET /v1/uploads/:id/events against the real API and worker processes, as a browser's EventSource would use it. */
describe('live upload status over Server-Sent Events', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let apiUrl: string;
  let api: ApiClient;
  let tenant: TenantCredentials;
  let png: Buffer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-sse-'));
    await receiver.start();
    // A short heartbeat, so the spec can see some without waiting 15 s.
    env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', LIVE_STATUS_HEARTBEAT_SECONDS: '1' };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    apiUrl = started.url;
    tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    await makeImage(join(dir, 'chart.png'), 800, 600, 'png');
    png = await readFile(join(dir, 'chart.png'));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  async function mintToken(): Promise<string> {
    const minted = await api.post('/v1/upload-tokens', {});
    expect(minted.status).toBe(201);
    return minted.body.token;
  }

  async function createPng(client: ApiClient) {
    const created = await client.post('/v1/uploads', { filename: 'chart.png', contentType: 'image/png', size: png.length });
    expect(created.status).toBe(201);
    return created.body as { id: string; upload: { url: string; headers: Record<string, string> } };
  }

  const eventsUrl = (id: string, token?: string) => `${apiUrl}/v1/uploads/${id}/events${token ? `?token=${token}` : ''}`;

  it('streams processing, the stages in pipeline order and ready to a token in the query, then ends', async () => {
    const token = await mintToken();
    const browser = api.withToken(token);
    const created = await createPng(browser);
    expect((await putPresigned(created.upload.url, created.upload.headers, png)).status).toBe(200);

    const stream = await openEventStream(eventsUrl(created.id, token));
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('cache-control')).toBe('no-cache');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    const first = await stream.next();
    expect(first?.event).toBe('status');
    expect(JSON.parse(first!.data)).toMatchObject({ id: created.id, status: 'awaiting_upload', stage: 'awaiting_upload' });

    expect((await browser.post(`/v1/uploads/${created.id}/complete`)).status).toBe(202);
    const events = [first!, ...(await stream.rest())];
    expect(stream.done).toBe(true);

    const seen = views(events);
    expect(events.every((e) => e.event === 'status')).toBe(true);
    // Each event moves forward: a later status, a later stage, or more progress in the same stage.
    const rank = (v: any) => [STATUSES.indexOf(v.status), STAGES.indexOf(v.stage), v.progress];
    const backwards = seen.slice(1).filter((v, i) => !comesAfter(rank(seen[i]), rank(v)) || rank(v).includes(-1));
    expect([steps(events), backwards]).toEqual([steps(events), []]);
    expect(seen.some((v) => v.status === 'processing')).toBe(true);
    const processingStages = new Set(seen.filter((v) => v.status === 'processing').map((v) => v.stage));
    expect(processingStages.size).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toMatchObject({ status: 'ready', stage: 'done', progress: 100 });
    // The last event is the same view GET answers (URLs are signed anew on each read).
    const got = (await browser.get(`/v1/uploads/${created.id}`)).body;
    const withoutUrls = (v: any) => ({ ...v, outputs: v.outputs.map((o: any) => ({ ...o, url: undefined })) });
    expect(withoutUrls(seen.at(-1))).toEqual(withoutUrls(got));
  });

  it('drives a real EventSource in Chromium with ?token= from awaiting_upload to ready', async () => {
    const token = await mintToken();
    const owner = api.withToken(token);
    const created = await createPng(owner);
    expect((await putPresigned(created.upload.url, created.upload.headers, png)).status).toBe(200);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // A page on the API's own origin: the stream needs no CORS here (the CORS rules are the same for every route).
      await page.goto(`${apiUrl}/health`);
      await page.evaluate(`(() => {
        window.seen = [];
        window.finished = new Promise((resolve) => {
          const source = new EventSource(${JSON.stringify(`/v1/uploads/${created.id}/events?token=${token}`)});
          source.addEventListener('status', (e) => {
            const upload = JSON.parse(e.data);
            window.seen.push(upload.status);
            if (${JSON.stringify(['ready', 'rejected', 'failed', 'expired', 'deleted'])}.includes(upload.status)) {
              source.close();
              resolve(window.seen);
            }
          });
        });
      })()`);
      await page.waitForFunction('window.seen.length > 0');
      expect((await owner.post(`/v1/uploads/${created.id}/complete`)).status).toBe(202);
      const statuses = (await page.evaluate('window.finished')) as string[];
      expect([...new Set(statuses)]).toEqual(['awaiting_upload', 'processing', 'ready']);
    } finally {
      await browser.close();
    }
  });

  it('sends an upload that already ended once, then ends', async () => {
    const created = await createPng(api);
    expect((await api.call('DELETE', `/v1/uploads/${created.id}`)).status).toBe(200);
    const stream = await openEventStream(eventsUrl(created.id), { authorization: `Bearer ${tenant.apiKey}` });
    const events = await stream.rest();
    expect(views(events)).toEqual([expect.objectContaining({ id: created.id, status: 'deleted' })]);
  });

  it('follows an upload deleted while watched, with heartbeats while nothing changes', async () => {
    const token = await mintToken();
    const created = await createPng(api.withToken(token));
    const stream = await openEventStream(eventsUrl(created.id), { authorization: `Bearer ${token}` });
    expect(JSON.parse((await stream.next())!.data).status).toBe('awaiting_upload');
    await eventually(() => (stream.comments >= 2 ? true : undefined), 30_000, 'two heartbeats');
    expect((await api.call('DELETE', `/v1/uploads/${created.id}`)).status).toBe(200);
    expect(views(await stream.rest())).toEqual([expect.objectContaining({ status: 'deleted', stage: 'done' })]);
  });

  it('refuses an API key in the query, and takes a query token on this route only', async () => {
    const created = await createPng(api);
    const keyInQuery = await EventStreamReader.open(eventsUrl(created.id, tenant.apiKey));
    expect([keyInQuery.status, (keyInQuery as any).body?.error.code]).toEqual([401, 'UNAUTHORIZED']);
    // Refused even beside a valid header: a key in a URL is a leaked key.
    const both = await EventStreamReader.open(eventsUrl(created.id, tenant.apiKey), { authorization: `Bearer ${tenant.apiKey}` });
    expect(both.status).toBe(401);
    const garbage = await EventStreamReader.open(eventsUrl(created.id, 'ut_not-a-token'));
    expect(garbage.status).toBe(401);
    const token = await mintToken();
    const elsewhere = await api.withToken(undefined).get(`/v1/uploads/${created.id}?token=${token}`);
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('shows only what GET /v1/uploads/:id shows: 404 for other tenants, other tokens and unknown ids', async () => {
    const created = await createPng(api.withToken(await mintToken()));
    const other = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    const otherToken = (await api.withToken(other.apiKey).post('/v1/upload-tokens', {})).body.token;
    const refused: Array<[string, Record<string, string>]> = [
      [eventsUrl(created.id), { authorization: `Bearer ${other.apiKey}` }],
      [eventsUrl(created.id, otherToken), {}],
      [eventsUrl(created.id, await mintToken()), {}], // same tenant, another token
      [eventsUrl(randomUUID()), { authorization: `Bearer ${tenant.apiKey}` }],
      [`${apiUrl}/v1/uploads/not-a-uuid/events`, { authorization: `Bearer ${tenant.apiKey}` }],
    ];
    for (const [url, headers] of refused) {
      const res = await EventStreamReader.open(url, headers);
      expect([url, res.status, (res as any).body?.error.code]).toEqual([url, 404, 'UPLOAD_NOT_FOUND']);
    }
    // The tenant's API key sees it, as GET does.
    const stream = await openEventStream(eventsUrl(created.id), { authorization: `Bearer ${tenant.apiKey}` });
    expect(JSON.parse((await stream.next())!.data)).toMatchObject({ id: created.id, status: 'awaiting_upload' });
    stream.close();
  });

  it('ends open streams when the API shuts down, so it can exit', async () => {
    const second = await startApi(env, 'api-shutdown');
    const created = await createPng(api);
    const stream = await openEventStream(`${second.url}/v1/uploads/${created.id}/events`, { authorization: `Bearer ${tenant.apiKey}` });
    expect(JSON.parse((await stream.next())!.data).status).toBe('awaiting_upload');
    try {
      const exited = second.proc.kill('SIGTERM');
      // A server that waited for its open streams would never exit: give it a bound, not a sleep.
      const hung = new Promise((_, reject) => setTimeout(() => reject(new Error('the API did not exit within 30 s')), 30_000).unref());
      await Promise.race([exited, hung]);
      expect(await stream.rest(30_000)).toEqual([]);
      expect(stream.done).toBe(true);
    } finally {
      if (second.proc.running) await second.proc.kill('SIGKILL');
    }
  });
});
