import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { UppyResult, UppyRun } from '../browser/uppy-contract';
import { ApiClient } from '../support/api-client';
import { PageServer, bundleForBrowser, launchChromium } from '../support/browser';
import { makeImage } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const MiB = 1024 * 1024;

/** The upload id in an incoming key (`incoming/<tenant>/<upload>`) that Intake's Uppy routes answered. */
function uploadIdOf(key: unknown): string {
  const match = typeof key === 'string' ? key.match(/^incoming\/[0-9a-f-]{36}\/([0-9a-f-]{36})$/) : null;
  if (!match) throw new Error(`not an incoming key: ${String(key)}`);
  return match[1]!;
}

/**
 * The real @uppy/core + @uppy/aws-s3 in headless Chromium, on a page of its own origin, against
 * the real API, MinIO, Temporal and clamd: Uppy's POST policy path (small files) and its multipart
 * path (over 100 MiB) both end `ready`, through the routes an upload token opens.
 */
describe('Uppy in a browser', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let browser: Browser;
  let page: Page;
  let pages: PageServer;
  let apiUrl: string;
  let tenant: TenantCredentials;
  let api: ApiClient;
  /** Incoming keys the Uppy routes handed the page, in order of their responses. */
  const keyReads: Array<Promise<string>> = [];
  const keysSeen = () => Promise.all(keyReads);

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-uppy-'));
    pages = await PageServer.start(await bundleForBrowser('uppy-page.ts'), 'Uppy');
    await receiver.start();
    // The stack's CORS_ORIGINS (API and MinIO) allow exactly its page origin, where `pages` listens.
    expect(testConfig().CORS_ORIGINS).toEqual([pages.origin]);
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    processes.push(started.proc);
    processes.push(await startWorker(env));
    apiUrl = started.url;
    tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    browser = await launchChromium();
    page = await browser.newPage();
    // Playwright emits responses as they arrive; reading a body is async, so each read is kept and
    // awaited after the upload (runUppy) instead of racing it.
    page.on('response', (res) => {
      if (!res.url().startsWith(`${apiUrl}/v1/uppy/`) || res.request().method() === 'OPTIONS' || res.status() >= 300) return;
      const path = new URL(res.url()).pathname;
      if (/\/s3\/params$/.test(path)) keyReads.push(res.json().then((body) => body.fields.key as string));
      if (/\/s3\/multipart$/.test(path)) keyReads.push(res.json().then((body) => body.key as string));
    });
    await page.goto(pages.origin);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await pages?.close();
    await receiver.stop();
  });

  async function runUppy(run: UppyRun): Promise<UppyResult> {
    return await page.evaluate((r) => (globalThis as unknown as { runUppy: (r: UppyRun) => Promise<UppyResult> }).runUppy(r), run);
  }

  async function uploadToken(body: Record<string, unknown> = {}): Promise<string> {
    const res = await api.post('/v1/upload-tokens', body);
    expect(res.status).toBe(201);
    return res.body.token;
  }

  it('answers CORS for the configured page origin only, at the API and at storage', async () => {
    const preflight = (url: string, origin: string, method: string) =>
      fetch(url, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type' } });
    const s3 = `${testConfig().S3_ENDPOINT}/${testConfig().S3_BUCKET}/incoming/x`;
    for (const [url, method] of [[`${apiUrl}/v1/uploads`, 'POST'], [`${apiUrl}/v1/tus`, 'PATCH'], [s3, 'PUT'], [s3, 'POST']] as const) {
      const allowed = await preflight(url, pages.origin, method);
      expect([url, allowed.headers.get('access-control-allow-origin')]).toEqual([url, pages.origin]);
      const other = await preflight(url, 'https://elsewhere.example', method);
      expect([url, other.headers.get('access-control-allow-origin')]).toEqual([url, null]);
    }
  });

  it('sends a small file with a POST policy and it reaches ready without a complete call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-uppy-'));
    await makeImage(join(dir, 'small.jpg'), 320, 240, 'jpeg');
    const bytes = await readFile(join(dir, 'small.jpg'));
    const token = await uploadToken({ maxUploads: 1, metadata: { album: 'holidays' } });
    const before = keyReads.length;

    const result = await runUppy({
      companionEndpoint: `${apiUrl}/v1/uppy/${token}`,
      name: 'small.jpg',
      type: 'image/jpeg',
      base64: bytes.toString('base64'),
      metadata: { caption: 'a small photo' },
    });
    expect(result).toEqual({ successful: 1, failed: [], multipart: false });
    const keys = await keysSeen();
    expect(keys.length).toBe(before + 1);
    const id = uploadIdOf(keys[before]);

    const hook = await webhookFor(receiver, id, 120_000);
    expect(hook.body.type).toBe('upload.ready');
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view).toMatchObject({
      status: 'ready',
      filename: 'small.jpg',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      clientMetadata: { caption: 'a small photo', album: 'holidays' },
    });
    expect(view.outputs.map((o: { name: string }) => o.name).sort()).toEqual(['optimized', 'thumbnail']);
  });

  it('sends a file over 100 MiB in parts and it reaches ready', async () => {
    const size = 100 * MiB + 123_457;
    const token = await uploadToken();
    const before = keyReads.length;

    const result = await runUppy({ companionEndpoint: `${apiUrl}/v1/uppy/${token}`, name: 'big.txt', type: 'text/plain', textSize: size });
    expect(result).toEqual({ successful: 1, failed: [], multipart: true });
    const keys = await keysSeen();
    expect(keys.length).toBe(before + 1);
    const id = uploadIdOf(keys[before]);

    const view = await eventually(
      async () => {
        const res = await api.get(`/v1/uploads/${id}`);
        return ['ready', 'rejected', 'failed'].includes(res.body.status) ? res.body : undefined;
      },
      300_000,
      `upload ${id} to finish`,
    );
    expect(view).toMatchObject({ status: 'ready', mode: 'multipart', filename: 'big.txt', size });
  });
});
