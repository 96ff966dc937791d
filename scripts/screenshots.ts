// The README's screenshots, taken from a running local stack (scripts/dev.sh): the demo page after
// an image and a video are processed, and the Temporal UI's workflow list and one upload's workflow.
//   npm run build && node dist/scripts/screenshots.js      (API_URL, TEMPORAL_UI_URL override the dev ports)
// Writes docs/images/*.png. Exits non-zero if anything does not reach the state it pictures.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser';
import { makeRotatedGpsJpeg } from '../test/support/media';
import { makeKeyframedClip } from '../test/support/video-clips';

const API_URL = process.env.API_URL ?? 'http://127.0.0.1:3000';
const TEMPORAL_UI_URL = process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';
const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
const OUT = join(__dirname, '..', '..', 'docs', 'images');
const VIEWPORT = { width: 1280, height: 900 };

/** The state of one demo card once it has finished: `ready` and its upload id, or throws. */
async function readyCard(page: Page, filename: string, timeoutMs: number): Promise<string> {
  const selector = `article.upload[data-filename="${filename}"]`;
  await page.waitForSelector(`${selector}[data-finished="true"]`, { timeout: timeoutMs });
  const status = await page.getAttribute(selector, 'data-status');
  if (status !== 'ready') throw new Error(`${filename} ended ${status}`);
  return (await page.getAttribute(selector, 'data-upload-id'))!;
}

async function demoPage(page: Page, dir: string): Promise<string> {
  await page.goto(`${API_URL}/demo`);
  await page.waitForSelector('body[data-ready="true"] .uppy-Dashboard', { timeout: 30_000 });
  await page.locator('input.uppy-Dashboard-input').first().setInputFiles([join(dir, 'eiffel.jpg'), join(dir, 'testcard.mp4')]);
  await readyCard(page, 'eiffel.jpg', 180_000);
  const videoId = await readyCard(page, 'testcard.mp4', 600_000);
  await page.locator('article[data-filename="testcard.mp4"] .storyboard[data-loaded="true"]').waitFor({ timeout: 30_000 });
  // The page's CSP allows no eval, so this waits through the DevTools protocol, on the image's event.
  await page.locator('article[data-filename="eiffel.jpg"] img.thumbnail').evaluate((node) => {
    const img = node as unknown as { complete: boolean; addEventListener(e: string, f: () => void, o: object): void };
    return img.complete ? undefined : new Promise<void>((done) => img.addEventListener('load', () => done(), { once: true }));
  });
  // A frame on screen rather than a black box: seek into the video and wait until it is shown.
  await page.locator('article[data-filename="testcard.mp4"] video').evaluate(
    (v) => new Promise<void>((done) => {
      const video = v as unknown as { currentTime: number; addEventListener(e: string, f: () => void, o: object): void };
      video.addEventListener('seeked', () => done(), { once: true });
      video.currentTime = 3;
    }),
  );
  await page.screenshot({ path: join(OUT, 'demo-page.png'), fullPage: true });
  return videoId;
}

async function temporalUi(page: Page, uploadId: string): Promise<void> {
  const workflowId = `upload-${uploadId}`;
  // What an operator types (docs/operations.md): the uploads that ended ready, by search attribute.
  const query = 'WorkflowType="uploadWorkflow" AND UploadStatus="ready"';
  await page.goto(`${TEMPORAL_UI_URL}/namespaces/${NAMESPACE}/workflows?query=${encodeURIComponent(query)}`);
  await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(OUT, 'temporal-workflows.png') });
  await page.goto(`${TEMPORAL_UI_URL}/namespaces/${NAMESPACE}/workflows/${workflowId}`);
  await page.getByText('Completed', { exact: false }).first().waitFor({ timeout: 30_000 });
  await page.getByText('finishUpload').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(OUT, 'temporal-upload-workflow.png') });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'intake-screenshots-'));
  await mkdir(OUT, { recursive: true });
  await makeRotatedGpsJpeg(join(dir, 'eiffel.jpg'));
  await makeKeyframedClip(join(dir, 'testcard.mp4'), { width: 1280, height: 720, seconds: 12, keyframeEverySeconds: 2, faststart: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const videoId = await demoPage(page, dir);
    await temporalUi(page, videoId);
  } finally {
    await browser.close();
  }
  console.log(`screenshots written to ${OUT}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
