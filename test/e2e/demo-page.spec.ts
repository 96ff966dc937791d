import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../support/api-client';
import { launchChromium } from '../support/browser';
import { EICAR, PHOTO_GPS, makeRotatedGpsJpeg } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { testConfig } from '../support/stack';
import { TcpForwarder } from '../support/tcp-forwarder';
import { createTenant } from '../support/uploader';
import { makeKeyframedClip } from '../support/video-clips';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'demo-page-admin-token-0123';

// The page's CSP forbids eval, so no string predicates: functions run through the DevTools
// protocol, and each waits for the page's own events. This file has no DOM types, hence the shapes.
interface MediaElement {
  videoWidth: number;
  currentTime: number;
  play(): Promise<void>;
  addEventListener(event: string, listener: () => void): void;
}
interface ImageElement {
  complete: boolean;
  naturalWidth: number;
  addEventListener(event: string, listener: () => void, options: { once: boolean }): void;
}

/**
 * The demo page as a developer uses it: served by the real API at /demo, files dropped on Uppy's
 * Dashboard in headless Chromium, processed by a real worker (MinIO, Temporal, clamd, ffmpeg),
 * and what the page then shows. The page is reached on the stack's page origin (a TCP forwarder
 * to the API there), the origin MinIO answers CORS for, as `scripts/dev.sh` arranges for its API.
 */
describe('the demo page', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  const cspViolations: string[] = [];
  let forwarder: TcpForwarder;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let api: ApiClient;
  let dir: string;

  const card = (filename: string) => page.locator(`article.upload[data-filename="${filename}"]`);

  async function finished(filename: string, timeout: number): Promise<{ status: string; id: string }> {
    await page.waitForSelector(`article.upload[data-filename="${filename}"][data-finished="true"]`, { timeout });
    const article = card(filename);
    return { status: (await article.getAttribute('data-status'))!, id: (await article.getAttribute('data-upload-id'))! };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-demo-'));
    origin = process.env.INTAKE_PAGE_ORIGIN ?? '';
    // MinIO takes the page's form uploads only from an origin the stack allows (scripts/lib/stack.sh).
    expect(testConfig().CORS_ORIGINS).toContain(origin);
    await makeRotatedGpsJpeg(join(dir, 'photo.jpg'));
    await makeKeyframedClip(join(dir, 'clip.mp4'), { width: 640, height: 360, seconds: 6, keyframeEverySeconds: 2, faststart: true });
    await writeFile(join(dir, 'eicar.txt'), EICAR);
    await receiver.start();
    const keyFile = join(dir, 'demo-api-key');
    // Links the API serves (HLS playlists, the storyboard) point at the page's origin, as in dev.
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', DEMO_API_KEY_FILE: keyFile, PUBLIC_API_URL: origin };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    // As scripts/dev.sh does: the tenant is made once the API is up, then its key is written.
    const tenant = await createTenant(started.url, ADMIN_TOKEN, receiver.url);
    await writeFile(keyFile, `${tenant.apiKey}\n`);
    api = new ApiClient(started.url, tenant.apiKey);
    forwarder = new TcpForwarder('127.0.0.1', Number(new URL(started.url).port));
    await forwarder.open(Number(new URL(origin).port));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await forwarder?.cut();
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  it('is served by the API with a policy that allows only its own origins, and gets a demo token', async () => {
    const res = await page.goto(`${origin}/demo`);
    expect(res?.status()).toBe(200);
    const csp = res!.headers()['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('*');
    // main() has a token and the Dashboard is up.
    await page.waitForSelector('body[data-ready="true"] .uppy-Dashboard', { timeout: 30_000 });
    expect(await page.locator('#notice').textContent()).toBe('');
  });

  it("answers a Range past its bundle's end or a failed If-Match as the client's error (4xx, not a logged 500), from the catalogue", async () => {
    const cases: Array<[Record<string, string>, number]> = [[{ range: 'bytes=999999999-' }, 416], [{ 'if-match': '"not-this-one"' }, 412]];
    for (const [headers, status] of cases) {
      const res = await fetch(`${origin}/demo/assets/demo.css`, { headers });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: { code: 'VALIDATION_FAILED', message: 'The request is invalid' } });
    }
    expect((await fetch(`${origin}/demo/assets/demo.css`, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
  });

  it('takes an image, a video and the EICAR file dropped on the Dashboard, and follows each to its end', async () => {
    await page.locator('input.uppy-Dashboard-input').first().setInputFiles(['photo.jpg', 'clip.mp4', 'eicar.txt'].map((f) => join(dir, f)));
    const photo = await finished('photo.jpg', 180_000);
    const eicar = await finished('eicar.txt', 180_000);
    const clip = await finished('clip.mp4', 300_000);
    expect([photo.status, clip.status, eicar.status]).toEqual(['ready', 'ready', 'rejected']);
    // What the page followed is what the API says; files this small went to storage as form uploads.
    for (const [{ id, status }, name] of [[photo, 'photo.jpg'], [clip, 'clip.mp4'], [eicar, 'eicar.txt']] as const) {
      expect((await api.get(`/v1/uploads/${id}`)).body).toMatchObject({ status, filename: name, mode: 'post', clientMetadata: { source: 'demo' } });
    }
  });

  it("shows the image's thumbnail, its variants with sizes and its EXIF, GPS flagged as stripped", async () => {
    const article = card('photo.jpg');
    const naturalWidth = await article.locator('img.thumbnail').evaluate((node) => {
      const img = node as unknown as ImageElement;
      if (img.complete) return img.naturalWidth;
      return new Promise<number>((done) => img.addEventListener('load', () => done(img.naturalWidth), { once: true }));
    });
    expect(naturalWidth).toBeGreaterThan(0);
    const rows = article.locator('table.variants tbody tr');
    const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-output')));
    expect(names.sort()).toEqual(['optimized', 'thumbnail']);
    for (const size of await rows.locator('.size').allTextContents()) expect(size).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);
    const gps = article.locator('.gps[data-stripped="true"]');
    expect(await gps.textContent()).toContain(`${PHOTO_GPS.latitude.toFixed(5)}, ${PHOTO_GPS.longitude.toFixed(5)}`);
    expect(await gps.locator('.flag').textContent()).toBe('stripped from every output');
    expect(await article.locator('dl.metadata').textContent()).toContain('IntakeCam Test One');
  });

  it('plays the video in hls.js and shows its storyboard', async () => {
    const article = card('clip.mp4');
    await article.locator('.storyboard[data-loaded="true"]').waitFor({ timeout: 30_000 });
    expect(await article.locator('.storyboard .tile').count()).toBeGreaterThan(1);
    // Playback started, then a decoded frame and the clock past 1 s, as the video's events report them.
    const played = await article.locator('video').evaluate(async (node) => {
      const video = node as unknown as MediaElement;
      const past = new Promise<void>((done) =>
        video.addEventListener('timeupdate', () => {
          if (video.videoWidth > 0 && video.currentTime > 1) done();
        }));
      await video.play();
      await past;
      return { width: video.videoWidth, time: video.currentTime };
    });
    expect(played.width).toBe(640);
    expect(played.time).toBeGreaterThan(1);
    expect(await article.locator('.player').getAttribute('data-error')).toBeNull();
    expect(await article.locator('.storyboard .tile.current').count()).toBe(1);
  });

  it("shows the EICAR file's rejection reason", async () => {
    const rejection = card('eicar.txt').locator('.rejection[data-code="INFECTED"]');
    expect(await rejection.isVisible()).toBe(true);
    expect(await rejection.textContent()).toMatch(/^rejected: INFECTED /);
  });

  it('sends a file over 100 MiB over tus, through the API, and follows it to ready', async () => {
    const big = join(dir, 'big.txt');
    await writeFile(big, Buffer.alloc(100 * 1024 * 1024 + 4096, 'intake '));
    // The Dashboard lists the finished files; "Add more" brings its drop zone back.
    await page.locator('.uppy-DashboardContent-addMore').click();
    await page.locator('input.uppy-Dashboard-input').first().setInputFiles(big);
    const { status, id } = await finished('big.txt', 300_000);
    expect(status).toBe('ready');
    expect((await api.get(`/v1/uploads/${id}`)).body).toMatchObject({ status: 'ready', mode: 'tus', size: 100 * 1024 * 1024 + 4096 });
  });

  it('broke no rule of its Content Security Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
