import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntakeClient, UploadProgress, WaitTimeoutError } from '../../clients/ts/src';
import { ApiClient } from '../support/api-client';
import { EICAR, makeImage } from '../support/media';
import { MiB, textBytes } from '../support/multipart-client';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { createTenant } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'typed-client-admin-token-0123456789';
const PART_SIZE = 5 * MiB;

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('the typed client (clients/ts) against the HTTP API + worker processes', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let dir: string;
  let apiUrl: string;
  let api: ApiClient;
  let client: IntakeClient;
  let big: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-typed-client-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', MULTIPART_PART_SIZE: String(PART_SIZE) };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    apiUrl = started.url;
    api = new ApiClient(apiUrl, (await createTenant(apiUrl, ADMIN_TOKEN, receiver.url)).apiKey);
    client = api.typed();
    big = join(dir, 'notes.txt');
    await Promise.all([makeImage(join(dir, 'chart.png'), 640, 480, 'png'), writeFile(big, textBytes(3 * PART_SIZE + 4321, 'typed'))]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  it('serves the committed OpenAPI document at /openapi.json and the browsable docs at /docs', async () => {
    const served = await (await fetch(`${apiUrl}/openapi.json`)).json();
    expect(served).toEqual(JSON.parse(await readFile(join(__dirname, '../../clients/ts/openapi.json'), 'utf8')));
    const docs = await fetch(`${apiUrl}/docs`);
    expect([docs.status, docs.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const page = await docs.text();
    // Swagger UI's assets come from the API itself (swagger-ui-dist), so the page works offline.
    const script = /src="\.?\/?(?:docs\/)?(swagger-ui-bundle\.js)"/.exec(page)?.[1];
    expect((await fetch(`${apiUrl}/docs/${script}`)).status).toBe(200);
  });

  it('uploads a small file with one PUT (auto), reports progress, and waits until it is ready', async () => {
    const seen: UploadProgress[] = [];
    const id = await client.uploadFile(join(dir, 'chart.png'), { onProgress: (p) => seen.push(p) });
    const size = (await readFile(join(dir, 'chart.png'))).length;
    expect(seen.at(-1)).toEqual({ sentBytes: size, totalBytes: size });
    const view = await client.waitUntilReady(id, { timeout: 60_000 });
    expect(view).toMatchObject({ id, status: 'ready', mode: 'put', filename: 'chart.png', contentType: 'image/png' });
    expect(view.outputs.map((o) => o.name)).toEqual(['optimized', 'thumbnail']);
  });

  it('uploads a file above the threshold in parts (auto), streamed from disk', async () => {
    const updates: string[] = [];
    const id = await client.uploadFile(big, { multipartThreshold: PART_SIZE });
    const view = await client.waitUntilReady(id, { timeout: 60_000, onUpdate: (u) => updates.push(u.status) });
    expect(view).toMatchObject({ status: 'ready', mode: 'multipart', size: 3 * PART_SIZE + 4321, sha256: await sha256(big) });
    expect(updates.at(-1)).toBe('ready');
  });

  it('resumes a multipart upload after an abort, sending only the parts storage lacks', async () => {
    const abort = new AbortController();
    let state: { uploadId: string; partSize: number } | undefined;
    // One part at a time: once bytes of part 2 flow, part 1 is stored.
    const interrupted = client.uploadFile(big, {
      mode: 'multipart',
      concurrency: 1,
      signal: abort.signal,
      onCreated: (s) => (state = s),
      onProgress: ({ sentBytes }) => sentBytes > PART_SIZE && abort.abort(),
    });
    await expect(interrupted).rejects.toThrow();
    expect(state).toEqual({ uploadId: expect.any(String), partSize: PART_SIZE });
    const held = (await api.get(`/v1/uploads/${state!.uploadId}/parts`)).body.parts.map((p: { partNumber: number }) => p.partNumber);
    expect(held).toContain(1);
    expect(held.length).toBeLessThan(4);

    const seen: UploadProgress[] = [];
    const id = await client.uploadFile(big, { resume: state, onProgress: (p) => seen.push(p) });
    expect(id).toBe(state!.uploadId);
    // The first report counts what storage already held.
    expect(seen[0]!.sentBytes).toBeGreaterThanOrEqual(held.length * PART_SIZE - PART_SIZE);
    const view = await client.waitUntilReady(id, { timeout: 60_000, pollIntervalMs: 200 });
    expect(view).toMatchObject({ status: 'ready', sha256: await sha256(big) });
  });

  it('waits for a rejection too, and gives up with WaitTimeoutError when nothing happens', async () => {
    const id = await client.uploadFile(new Blob([new Uint8Array(EICAR)]), { filename: 'eicar.txt' });
    expect(await client.waitUntilReady(id, { timeout: 60_000 })).toMatchObject({ status: 'rejected', error: { code: 'INFECTED' } });

    const { data } = await client.api.POST('/v1/uploads', { body: { filename: 'never.txt', contentType: 'text/plain', size: 10 } });
    await expect(client.waitUntilReady(data!.id, { timeout: 500 })).rejects.toBeInstanceOf(WaitTimeoutError);
  });
});
