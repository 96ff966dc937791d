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

describe('a worker killed mid-transcode (kill -9)', () => {
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

  it('is finished by another worker: one set of outputs, one upload.ready event', async () => {
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const { proc: apiProc, url } = await startApi(env);
    processes.push(apiProc);
    const first = await startWorker(env, 'worker-a');
    processes.push(first);
    const tenant = await createTenant(url, ADMIN_TOKEN, receiver.url);
    const api = new ApiClient(url, tenant.apiKey);

    const id = await uploadFile(api, join(dir, 'long.mp4'), 'video/mp4');
    const midway = await eventually(
      async () => {
        const view = (await api.get(`/v1/uploads/${id}`)).body;
        return view.stage === 'processing' && view.progress > 0 ? view : undefined;
      },
      120_000,
      'the transcode to report progress',
    );
    expect(midway.progress).toBeLessThan(100);

    // The transcode runs in an ffmpeg child; it must not outlive its worker and compete with the retry.
    const orphans = childPids(first.child.pid!);
    expect(orphans.length).toBeGreaterThan(0);
    expect(await first.kill('SIGKILL')).toBeNull(); // exit code null: killed by a signal
    await eventually(() => (orphans.every((pid) => !alive(pid)) ? true : undefined), 15_000, 'ffmpeg to exit');
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(receiver.outcomes(id)).toHaveLength(0);

    processes.push(await startWorker(env, 'worker-b'));
    const hook = await webhookFor(receiver, id, 240_000);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.ready' });

    // Worker B took the upload over: a second ingest (from the immutable original), then the
    // transcode on B's own queue after the one on A's queue was lost.
    const history = await temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    const scheduled = (name: string) =>
      (history.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a?.activityType?.name === name)
        .map((a) => a!.taskQueue!.name!);
    expect(scheduled('ingestOriginal')).toEqual(['intake-transcode', 'intake-transcode']);
    const transcodeQueues = scheduled('transcodeVideo');
    expect(transcodeQueues).toHaveLength(2);
    expect(new Set(transcodeQueues).size).toBe(2);
    expect(transcodeQueues.every((q) => q.startsWith('intake-transcode@'))).toBe(true);

    // Give a duplicate delivery, if there were to be one, time to arrive.
    await new Promise((r) => setTimeout(r, 3000));
    const deliveries = receiver.outcomes(id);
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set([webhookIdFor(id, 'upload.ready')]));
    expect(deliveries.filter((d) => d.body.type === 'upload.ready')).toHaveLength(deliveries.length);

    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view.outputs.map((o: { name: string }) => o.name)).toEqual(['optimized', 'poster', 'storyboard', 'thumbnail']);
    const s3 = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    });
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: config.S3_BUCKET, Prefix: `uploads/${tenant.id}/${id}/outputs/` }),
    );
    s3.destroy();
    expect((listed.Contents ?? []).map((o) => o.Key!.split('/').pop()).sort()).toEqual([
      'optimized.mp4',
      'thumbnail.webp',
    ]);

    const optimized = view.outputs.find((o: { name: string }) => o.name === 'optimized');
    const res = await fetch(optimized.url);
    const path = join(dir, 'result.mp4');
    await writeFile(path, Buffer.from(await res.arrayBuffer()));
    const probed = await probe(path);
    expect([probed.video?.codec, probed.video?.width, probed.video?.height]).toEqual(['h264', 1280, 720]);
    expect(probed.duration).toBeCloseTo(90, 0);
  });
});
