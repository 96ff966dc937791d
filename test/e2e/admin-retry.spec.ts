import { Client, Connection } from '@temporalio/client';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workflowIdFor } from '../../workflows/contract';
import { ApiClient } from '../support/api-client';
import { makeVideo } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { RerunProbe, eventOf } from '../support/reruns';
import { testConfig } from '../support/stack';
import { createTenant, uploadFile } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'admin-retry-token-0123456789';

/**
 * An ffmpeg without its H.264 encoder (as on a machine missing the library): everything else it
 * does works, so the previews succeed and the transcode fails as a tool fault, retried until the
 * upload is `failed`.
 */
const FFMPEG_WITHOUT_H264 = `#!/bin/sh
for arg in "$@"; do
  if [ "$arg" = libx264 ]; then echo "Unknown encoder 'libx264'" >&2; exit 1; fi
done
exec ffmpeg "$@"
`;

/** Retrying a failed upload through the admin API, on the real stack. */
describe('admin retry (HTTP API + worker processes)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let temporal: Client;
  let probe: RerunProbe;

  beforeAll(async () => {
    await receiver.start();
    temporal = new Client({ connection: await Connection.connect({ address: testConfig().TEMPORAL_ADDRESS }) });
    probe = await RerunProbe.open();
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await temporal?.connection.close();
    await probe?.close();
    await receiver.stop();
  });

  it('resumes a failed upload from the step that failed, keeping what had succeeded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-e2e-retry-'));
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const ffmpeg = join(dir, 'ffmpeg-without-h264');
    await writeFile(ffmpeg, FFMPEG_WITHOUT_H264);
    await chmod(ffmpeg, 0o755);
    await makeVideo(join(dir, 'clip.mp4'), { width: 320, height: 240, seconds: 2 });
    const api = await startApi(env);
    processes.push(api.proc);
    const broken = await startWorker({ ...env, FFMPEG_PATH: ffmpeg }, 'worker-broken');
    processes.push(broken);

    const owner = await createTenant(api.url, ADMIN_TOKEN, receiver.url);
    const admin = new ApiClient(api.url, ADMIN_TOKEN);
    expect((await admin.call('PATCH', `/v1/admin/tenants/${owner.id}`, { policy: { outputs: ['optimized', 'poster', 'thumbnail'] } })).status).toBe(200);
    const tenantApi = new ApiClient(api.url, owner.apiKey);
    const id = await uploadFile(tenantApi, await readFile(join(dir, 'clip.mp4')), 'video/mp4');

    const failed = await eventOf(receiver, id, 'upload.failed', 0, 180_000);
    expect(failed.body.data).toMatchObject({ status: 'failed', error: { code: 'PROCESSING_FAILED' }, outputs: [] });
    // What succeeded before the transcode is kept (unserved while failed).
    const kept = await probe.outputs(id);
    expect(Object.keys(kept.keys).sort()).toEqual(['poster', 'thumbnail']);
    const firstRun = await temporal.workflow.getHandle(workflowIdFor(id)).describe();

    await broken.stop();
    processes.push(await startWorker(env, 'worker-fixed'));
    const retried = await admin.post(`/v1/admin/uploads/${id}/retry`);
    expect([retried.status, retried.body]).toEqual([202, { id, status: 'processing' }]);

    const processing = await eventOf(receiver, id, 'upload.processing', 1);
    expect(processing.body.data).toMatchObject({ status: 'processing', error: null });
    const ready = await eventOf(receiver, id, 'upload.ready', 1);
    expect(WebhookReceiver.verify(ready, owner.webhookSecret)).toMatchObject({ type: 'upload.ready', data: { id, status: 'ready' } });

    // A new run of the same workflow id, which did not verify, read metadata or render previews again.
    const handle = temporal.workflow.getHandle(workflowIdFor(id));
    const rerun = await handle.describe();
    expect(rerun.runId).not.toBe(firstRun.runId);
    const history = await handle.fetchHistory();
    const scheduled = new Set((history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []));
    expect([...scheduled].sort()).toEqual(['assembleVideo', 'dropUnreferencedOutputs', 'ingestOriginal', 'splitVideo', 'transcodeSegment']);

    const after = await probe.outputs(id);
    expect(Object.keys(after.keys).sort()).toEqual(['optimized', 'poster', 'thumbnail']);
    expect([after.keys.poster, after.keys.thumbnail]).toEqual([kept.keys.poster, kept.keys.thumbnail]);
    const view = await tenantApi.get(`/v1/uploads/${id}`);
    expect(view.body).toMatchObject({ status: 'ready', error: null });
    for (const o of view.body.outputs) expect((await fetch(o.url)).status).toBe(200);

    const again = await admin.post(`/v1/admin/uploads/${id}/retry`);
    expect([again.status, again.body.error.code]).toEqual([409, 'NOT_RETRYABLE']);
  });
});
