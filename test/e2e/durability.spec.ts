import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookIdFor } from '../../src/webhooks/event-publisher';
import { workflowIdFor } from '../../workflows/contract';
import { ApiClient } from '../support/api-client';
import { makeVideo, probe } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { createTenant, uploadFile, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'durability-admin-token-0123';

function childPids(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return children ? children.split(/\s+/).map(Number) : [];
}

function alive(pid: number): boolean {
  try {
    // A zombie still has a /proc entry; only a running process counts.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('a transcode worker killed mid-video (kill -9)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  const config = testConfig();
  let dir: string;
  let temporal: Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-durability-'));
    await receiver.start();
    temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });
    // Long enough that the transcode is still running when the worker dies (~15 s here).
    await makeVideo(join(dir, 'long.mp4'), { width: 1280, height: 720, seconds: 90, fps: 30 });
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await temporal?.connection.close();
    await receiver.stop();
  });

  it('loses at most the segment it was encoding: other workers finish, one set of outputs, one upload.ready event', async () => {
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const { proc: apiProc, url } = await startApi(env);
    processes.push(apiProc);
    // Two workers take transcode work: one also runs workflows and the light steps.
    const workers = [await startWorker(env, 'worker-a'), await startWorker({ ...env, WORKER_QUEUES: 'transcode' }, 'worker-b')];
    processes.push(...workers);
    const tenant = await createTenant(url, ADMIN_TOKEN, receiver.url);
    const api = new ApiClient(url, tenant.apiKey);

    const id = await uploadFile(api, join(dir, 'long.mp4'), 'video/mp4');
    const handle = temporal.workflow.getHandle(workflowIdFor(id));
    // A segment being encoded, and the worker encoding it (its identity is "<pid>@<host>").
    const running = await eventually(
      async () => {
        const { raw } = await handle.describe();
        return raw.pendingActivities?.find(
          (p) => p.activityType?.name === 'transcodeSegment' && p.lastWorkerIdentity && workers.some((w) => p.lastWorkerIdentity!.startsWith(`${w.child.pid}@`)),
        );
      },
      180_000,
      'a segment to be encoding',
    );
    const victim = workers.find((w) => running.lastWorkerIdentity!.startsWith(`${w.child.pid}@`))!;

    // The encode runs in an ffmpeg child; it must not outlive its worker and compete with the retry.
    const orphans = await eventually(() => (childPids(victim.child.pid!).length ? childPids(victim.child.pid!) : undefined), 60_000, 'ffmpeg to start');
    expect(await victim.kill('SIGKILL')).toBeNull(); // exit code null: killed by a signal
    await eventually(() => (orphans.every((pid) => !alive(pid)) ? true : undefined), 15_000, 'ffmpeg to exit');
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(receiver.outcomes(id)).toHaveLength(0);
    // Its place is taken by a worker polling what it polled.
    processes.push(await startWorker(victim === workers[0] ? env : { ...env, WORKER_QUEUES: 'transcode' }, 'worker-c'));

    const hook = await webhookFor(receiver, id, 300_000);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.ready' });

    // Every segment ran once, except the one the killed worker was encoding; and more than one
    // worker encoded segments of this one video.
    const history = await handle.fetchHistory();
    const scheduled = new Map(
      (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'transcodeSegment')
        .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityId!]),
    );
    const started = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((a) => a && scheduled.has(String(a.scheduledEventId)));
    expect(started.length).toBe(scheduled.size);
    expect(scheduled.size).toBeGreaterThan(2);
    expect(started.filter((a) => a!.attempt! > 1).length).toBeLessThanOrEqual(1);
    expect(new Set(started.map((a) => a!.identity)).size).toBeGreaterThanOrEqual(2);

    // Give a duplicate delivery, if there were to be one, time to arrive.
    await new Promise((r) => setTimeout(r, 3000));
    const deliveries = receiver.outcomes(id);
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set([webhookIdFor(id, 'upload.ready')]));
    expect(deliveries.filter((d) => d.body.type === 'upload.ready')).toHaveLength(deliveries.length);

    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view.outputs.map((o: { name: string }) => o.name)).toEqual(['hls', 'optimized', 'poster', 'storyboard', 'storyboard_vtt', 'thumbnail']);
    const s3 = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    });
    const keys = async (prefix: string) =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: config.S3_BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    const outputs = await keys(`uploads/${tenant.id}/${id}/outputs/`);
    const segmentsLeft = await keys(`uploads/${tenant.id}/${id}/segments/`);
    s3.destroy();
    expect(outputs.filter((k) => !k.includes('/hls/')).map((k) => k.split('/').pop()).sort()).toEqual([
      'optimized.mp4',
      'poster.webp',
      'storyboard.jpg',
      'thumbnail.webp',
    ]);
    // Every rung has a piece of every segment; the segments of the source are gone.
    const pieces = new Set(outputs.filter((k) => k.includes('/hls/')).map((k) => k.split('/').slice(-2).join('/').split('.')[0]));
    expect(pieces.size).toBe(2 * scheduled.size); // 360p and 720p
    expect(segmentsLeft).toEqual([]);

    const optimized = view.outputs.find((o: { name: string }) => o.name === 'optimized');
    const res = await fetch(optimized.url);
    const path = join(dir, 'result.mp4');
    await writeFile(path, Buffer.from(await res.arrayBuffer()));
    const probed = await probe(path);
    expect([probed.video?.codec, probed.video?.width, probed.video?.height]).toEqual(['h264', 1280, 720]);
    expect(probed.duration).toBeCloseTo(90, 0);
  });
});
