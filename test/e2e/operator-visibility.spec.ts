import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINE_VERSION, deletionWorkflowIdFor, uploadStatusQuery, workflowIdFor } from '../../workflows/contract';
import { SEARCH_ATTRIBUTES } from '../../workflows/visibility';
import { ApiClient } from '../support/api-client';
import { EICAR, makeImage, makeVideo } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';
import { recordHistory, recordingHistories } from '../support/workflow-histories';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
// Visibility is eventually consistent: a list only shows a change once the store has indexed it.
const VISIBLE_WITHIN_MS = 30_000;

/**
 * What an operator sees in the Temporal UI and CLI: uploads found by tenant, status, stage and kind
 * (search attributes), a readable start summary, a summary on every activity, and the `status` query.
 */
describe('operators find and read uploads in Temporal (real API, worker and Temporal)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let dir: string;
  let apiUrl: string;
  let temporal: Client;
  let photos: TenantCredentials;
  let scans: TenantCredentials;
  const ids: Record<'ready' | 'rejected' | 'video', string> = { ready: '', rejected: '', video: '' };

  beforeAll(async () => {
    const config = testConfig();
    dir = await mkdtemp(join(tmpdir(), 'intake-visibility-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    apiUrl = started.url;
    [photos, scans] = await Promise.all([createTenant(apiUrl, ADMIN_TOKEN, receiver.url), createTenant(apiUrl, ADMIN_TOKEN, receiver.url)]);
    temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });
    await Promise.all([makeImage(join(dir, 'chart.png'), 320, 200, 'png'), makeVideo(join(dir, 'clip.mp4'), { width: 320, height: 240, seconds: 1 })]);

    // One tenant's upload ends ready, the other's rejected; a video goes through the segmented transcode.
    const filename = `[quarterly](https://phish.example) chart ${'x'.repeat(100)}.png`;
    ids.ready = await uploadFile(new ApiClient(apiUrl, photos.apiKey), join(dir, 'chart.png'), 'image/png', { filename });
    ids.rejected = await uploadFile(new ApiClient(apiUrl, scans.apiKey), EICAR, 'text/plain');
    ids.video = await uploadFile(new ApiClient(apiUrl, photos.apiKey), join(dir, 'clip.mp4'), 'video/mp4');
    for (const id of Object.values(ids)) await webhookFor(receiver, id, 120_000);
    // With RECORD_WORKFLOW_HISTORIES=1: replay fixtures whose histories hold the upserts.
    if (recordingHistories()) {
      const names = { ready: 'upload-image-ready', rejected: 'upload-rejected', video: 'upload-video-ready' } as const;
      for (const [outcome, id] of Object.entries(ids)) {
        await recordHistory(temporal, config, workflowIdFor(id), `search-attributes-${names[outcome as keyof typeof names]}`);
      }
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await temporal?.connection.close();
    await receiver.stop();
  });

  /** The workflows a visibility query lists once it lists exactly `count` (polled, not slept). */
  function listed(query: string, count: number): Promise<WorkflowExecutionInfo[]> {
    return eventually(
      async () => {
        const found: WorkflowExecutionInfo[] = [];
        for await (const info of temporal.workflow.list({ query })) found.push(info);
        return found.length === count ? found : undefined;
      },
      VISIBLE_WITHIN_MS,
      `${count} workflow(s) for ${query}`,
    );
  }

  /** Intake's search attributes on a workflow, by name (Temporal's own, like BuildIds, left out). */
  async function attributesOf(workflowId: string): Promise<Record<string, unknown>> {
    const { typedSearchAttributes } = await temporal.workflow.getHandle(workflowId).describe();
    const ours = new Set(Object.values(SEARCH_ATTRIBUTES).map((key) => key.name));
    return Object.fromEntries(typedSearchAttributes.getAll().filter(({ key }) => ours.has(key.name)).map(({ key, value }) => [key.name, value]));
  }

  it('finds exactly the rejected upload by tenant and status, and the ready one by its own', async () => {
    const [rejected] = await listed(`TenantId="${scans.id}" AND UploadStatus="rejected"`, 1);
    expect(rejected!.workflowId).toBe(workflowIdFor(ids.rejected));
    const ready = await listed(`TenantId="${photos.id}" AND UploadStatus="ready"`, 2);
    expect(ready.map((w) => w.workflowId).sort()).toEqual([workflowIdFor(ids.ready), workflowIdFor(ids.video)].sort());
    // Both of this tenant's uploads are indexed as ready, so none of them can be listed as rejected.
    await listed(`TenantId="${photos.id}" AND UploadStatus="rejected"`, 0);
    const [video] = await listed(`TenantId="${photos.id}" AND MediaKind="video" AND Stage="done"`, 1);
    expect(video!.workflowId).toBe(workflowIdFor(ids.video));
    await listed(`UploadId="${ids.rejected}" AND ErrorCode="INFECTED" AND PipelineVersion=${PIPELINE_VERSION}`, 1);
  });

  it('records kind, stage, outcome, error code and pipeline version on each upload', async () => {
    const common = { PipelineVersion: PIPELINE_VERSION, Stage: 'done' };
    expect(await attributesOf(workflowIdFor(ids.ready))).toEqual({
      ...common,
      TenantId: photos.id,
      UploadId: ids.ready,
      MediaKind: 'image',
      UploadStatus: 'ready',
    });
    expect(await attributesOf(workflowIdFor(ids.rejected))).toEqual({
      ...common,
      TenantId: scans.id,
      UploadId: ids.rejected,
      MediaKind: 'document',
      UploadStatus: 'rejected',
      ErrorCode: 'INFECTED',
    });
    expect(await attributesOf(workflowIdFor(ids.video))).toMatchObject({ ...common, MediaKind: 'video', UploadStatus: 'ready' });
  });

  it('shows the file, tenant, size and declared type at start, the client\'s name made harmless', async () => {
    const described = await temporal.workflow.getHandle(workflowIdFor(ids.ready)).describe();
    const summary = await described.staticSummary();
    expect(summary).toMatch(/^\\\[quarterly\\\]\(https:\/\/phish\.example\) chart x+… \(image\/png, [\d.]+ KiB\)$/);
    const details = (await described.staticDetails())!.split('\n');
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^File: \\\[quarterly\\\]/),
        `Tenant: ${photos.id}`,
        expect.stringMatching(/^Size: [\d.]+ KiB$/),
        'Declared type: image/png',
        'Mode: put',
      ]),
    );
  });

  it('gives every activity a one-line summary, segments numbered with their rungs', async () => {
    const summaries = async (id: string) => {
      const { events } = await temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const scheduled = (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
      return scheduled.map((e) => summaryOf(e) ?? `(none: ${e.activityTaskScheduledEventAttributes!.activityType!.name})`);
    };
    expect(await summaries(ids.ready)).toEqual(['verify object', 'scan + ingest', 'extract metadata', 'process image', 'create thumbnail']);
    expect(await summaries(ids.rejected)).toEqual(['verify object', 'scan + ingest']);
    const video = await summaries(ids.video);
    expect(video).toEqual(expect.arrayContaining(['verify object', 'scan + ingest', 'split video', 'join segments + record the ladder']));
    expect(video.filter((s) => s.startsWith('transcode segment'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^transcode segment 1\/\d+, \d+p( \+ \d+p)*$/)]),
    );
    expect(video.filter((s) => s.startsWith('(none'))).toEqual([]);
  });

  it('answers `status` from the workflow alone, running and finished, and says what it waits for', async () => {
    const api = new ApiClient(apiUrl, photos.apiKey);
    const created = await api.post('/v1/uploads', { filename: 'later.png', contentType: 'image/png', size: 10 });
    expect(created.status).toBe(201);
    const waiting = temporal.workflow.getHandle(workflowIdFor(created.body.id));
    expect(await waiting.query(uploadStatusQuery)).toEqual({
      uploadId: created.body.id,
      tenantId: photos.id,
      status: 'awaiting_upload',
      stage: 'awaiting_upload',
      mediaKind: null,
      error: null,
      progress: 0,
    });
    const metadata = await waiting.query<proto.api.sdk.v1.IWorkflowMetadata>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe(`waiting for the client to upload until ${created.body.expiresAt}`);
    const [stuck] = await listed(`ExecutionStatus="Running" AND TenantId="${photos.id}" AND Stage="awaiting_upload"`, 1);
    expect(stuck!.workflowId).toBe(workflowIdFor(created.body.id));

    expect(await temporal.workflow.getHandle(workflowIdFor(ids.ready)).query(uploadStatusQuery)).toEqual({
      uploadId: ids.ready,
      tenantId: photos.id,
      status: 'ready',
      stage: 'done',
      mediaKind: 'image',
      error: null,
      progress: 100,
    });
    const rejected = await temporal.workflow.getHandle(workflowIdFor(ids.rejected)).query(uploadStatusQuery);
    expect(rejected).toMatchObject({ status: 'rejected', stage: 'done', mediaKind: 'document', error: { code: 'INFECTED' } });
    const finished = await temporal.workflow.getHandle(workflowIdFor(ids.rejected)).query<proto.api.sdk.v1.IWorkflowMetadata>('__temporal_workflow_metadata');
    expect(finished.currentDetails).toBe('rejected: INFECTED');

    // Its deletion is found by the same upload id.
    expect((await api.call('DELETE', `/v1/uploads/${created.body.id}`)).status).toBe(200);
    const both = await listed(`UploadId="${created.body.id}"`, 2);
    expect(both.map((w) => w.workflowId).sort()).toEqual([deletionWorkflowIdFor(created.body.id), workflowIdFor(created.body.id)].sort());
  });
});

function summaryOf(event: proto.api.history.v1.IHistoryEvent): string | undefined {
  const payload = event.userMetadata?.summary;
  return payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined;
}
