import { Client, Connection } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HlsPlay, HlsPlayResult } from '../browser/hls-contract';
import { ApiClient } from '../support/api-client';
import { PageServer, bundleForBrowser, launchChromium } from '../support/browser';
import { probe } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { createTenant, uploadFile, webhookFor } from '../support/uploader';
import { makeKeyframedClip } from '../support/video-clips';
import { WebhookReceiver } from '../support/webhook-receiver';
import { testConfig } from '../support/stack';
import { uploadProgressQuery, workflowIdFor } from '../../workflows/contract';

const ADMIN_TOKEN = 'video-hls-admin-token-0123';

/**
 * A video through the segmented pipeline (API and worker processes, real ffmpeg, MinIO), played
 * the way a tenant's page would: hls.js in Chromium, from the `hls` link alone, on another origin.
 */
describe('a video as an HLS ladder (HTTP API + workers + Chromium)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let dir: string;
  let api: ApiClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-hls-'));
    await receiver.start();
    // 24 s of 720p with a keyframe every 2 s: cut into 4 s segments, so several transcode activities.
    await makeKeyframedClip(join(dir, 'clip.mp4'), { width: 1280, height: 720, seconds: 24, keyframeEverySeconds: 2, faststart: true });
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', VIDEO_SEGMENT_SECONDS: '4' };
    const { proc, url } = await startApi(env);
    processes.push(proc, await startWorker(env, 'worker'));
    const tenant = await createTenant(url, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(url, tenant.apiKey);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  it('plays past 5 s with hls.js from the hls link, with only the rungs at or below the source', async () => {
    const id = await uploadFile(api, join(dir, 'clip.mp4'), 'video/mp4');
    const hook = await webhookFor(receiver, id, 300_000);
    expect(hook.body.type).toBe('upload.ready');
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    const hls = view.outputs.find((o: { name: string }) => o.name === 'hls');
    expect(hls).toMatchObject({ contentType: 'application/vnd.apple.mpegurl', width: 1280, height: 720 });

    // The workflow answers where it is without the database: every segment done.
    const temporal = new Client({ connection: await Connection.connect({ address: testConfig().TEMPORAL_ADDRESS }) });
    try {
      const progress = await temporal.workflow.getHandle(workflowIdFor(id)).query(uploadProgressQuery);
      expect(progress).toMatchObject({ stage: 'done', progress: 100 });
      expect(progress.segmentsTotal).toBeGreaterThan(2);
      expect(progress.segmentsDone).toBe(progress.segmentsTotal);
    } finally {
      await temporal.connection.close();
    }

    const master = await (await fetch(hls.url)).text();
    expect(master.match(/RESOLUTION=\d+x\d+/g)).toEqual(['RESOLUTION=640x360', 'RESOLUTION=1280x720']);

    // The joined rendition lasts as long as the source.
    const optimized = view.outputs.find((o: { name: string }) => o.name === 'optimized');
    const mp4 = join(dir, 'optimized.mp4');
    await writeFile(mp4, Buffer.from(await (await fetch(optimized.url)).arrayBuffer()));
    const probed = await probe(mp4);
    expect([probed.video?.width, probed.video?.height, probed.audio?.codec]).toEqual([1280, 720, 'aac']);
    expect(Math.abs(probed.duration - 24)).toBeLessThan(0.5);

    const page = await PageServer.start(await bundleForBrowser('hls-page.ts'), 'HLS');
    let browser: Browser | undefined;
    try {
      expect(new URL(page.origin).origin).not.toBe(new URL(hls.url).origin);
      browser = await launchChromium();
      const tab = await browser.newPage();
      await tab.goto(page.origin);
      const run: HlsPlay = { url: hls.url, untilSeconds: 5, timeoutMs: 90_000 };
      const played = await tab.evaluate((r) => (globalThis as unknown as { playHls: (r: HlsPlay) => Promise<HlsPlayResult> }).playHls(r), run);
      expect(played).toMatchObject({ fatal: null, timedOut: false, levels: [360, 720] });
      expect(played.currentTime).toBeGreaterThan(5);
    } finally {
      await browser?.close();
      await page.close();
    }
  }, 420_000);

  it('rejects a truncated MP4 as CORRUPT_MEDIA on the first attempt, before any segment is transcoded', async () => {
    // The index (moov, up front) survives the cut: probing passes, the frames are not there.
    const whole = await readFile(join(dir, 'clip.mp4'));
    await writeFile(join(dir, 'cut.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
    const id = await uploadFile(api, join(dir, 'cut.mp4'), 'video/mp4');
    const hook = await webhookFor(receiver, id, 300_000);
    expect([hook.body.type, (hook.body.data.error as { code: string } | null)?.code]).toEqual(['upload.rejected', 'CORRUPT_MEDIA']);

    const temporal = new Client({ connection: await Connection.connect({ address: testConfig().TEMPORAL_ADDRESS }) });
    try {
      const history = await temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const events = history.events ?? [];
      const failed = events.filter((e) => e.activityTaskFailedEventAttributes);
      expect(failed).toHaveLength(1);
      const started = events.find((e) => String(e.eventId) === String(failed[0]!.activityTaskFailedEventAttributes!.startedEventId));
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(1);
      const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
      expect(scheduled).not.toContain('transcodeSegment');
    } finally {
      await temporal.connection.close();
    }
  }, 360_000);
});
