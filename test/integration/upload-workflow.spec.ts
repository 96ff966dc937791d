import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { Activities } from '../../activities';
import {
  UploadWorkflowResult,
  WORKSPACE_LOST,
  incomingSweepWorkflowIdFor,
  uploadCompletedSignal,
  workflowIdFor,
} from '../../workflows/contract';
import { testConfig } from '../support/stack';

/**
 * The workflow's own decisions (ordering, rejected vs failed, events published, expiry) on the real
 * Temporal server. Activities are stand-ins that record calls: the pipeline's real activities are
 * covered by the other integration specs and the e2e suite.
 */
describe('uploadWorkflow on the real Temporal server', () => {
  const config = testConfig();
  // One queue per workflow run, so sweepers that earlier tests left behind never act on this one.
  let taskQueue: string;
  let client: Client;
  let connection: NativeConnection;
  let calls: string[];
  let inputs: Array<{ name: string; input: unknown }>;
  let behaviour: Partial<Record<keyof Activities, () => Promise<unknown>>>;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    client = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });
  });
  afterAll(async () => {
    await client.connection.close();
    await connection.close();
  });
  beforeEach(() => {
    calls = [];
    inputs = [];
    behaviour = {};
    taskQueue = `workflow-spec-${randomUUID()}`;
  });

  /** The calls in order, without `upload.processing`'s publication (its own test checks it). */
  const steps = () => calls.filter((c) => c !== 'publishEvent:upload.processing');

  function stubs(): Partial<Record<keyof Activities, (input: any) => Promise<unknown>>> {
    const names: Array<keyof Activities> = [
      'verifyUpload', 'ingestOriginal', 'extractMetadata', 'processImage', 'createThumbnail', 'releaseWorkspace',
      'finishUpload', 'expireUpload', 'publishEvent', 'deleteIncoming',
    ];
    const defaults: Partial<Record<keyof Activities, unknown>> = {
      verifyUpload: { kind: 'image', detectedType: 'image/png' },
      // The test worker serves "its own" queue too: the workflow's queue.
      ingestOriginal: { taskQueue, sha256: 'ab'.repeat(32) },
      deleteIncoming: { deleted: true },
    };
    return Object.fromEntries(
      names.map((name) => [
        name,
        async (input: { status?: string; event?: string }) => {
          calls.push(input.status ? `${name}:${input.status}` : input.event ? `${name}:${input.event}` : name);
          inputs.push({ name, input });
          const custom = behaviour[name];
          if (custom) return custom();
          return defaults[name];
        },
      ]),
    );
  }

  async function runUpload(opts: {
    complete: boolean;
    expiresInMs?: number;
    signals?: string[];
    uploadId?: string;
  }): Promise<UploadWorkflowResult> {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: stubs(),
    });
    return worker.runUntil(async () => {
      const uploadId = opts.uploadId ?? randomUUID();
      const handle = await client.workflow.start('uploadWorkflow', {
        taskQueue,
        workflowId: workflowIdFor(uploadId),
        args: [{ uploadId, tenantId: randomUUID(), expiresAt: new Date(Date.now() + (opts.expiresInMs ?? 60_000)).toISOString() }],
      });
      if (opts.complete) {
        for (const etag of opts.signals ?? ['"etag-1"']) await handle.signal(uploadCompletedSignal, { etag });
      }
      return handle.result();
    });
  }

  it('runs the image pipeline in order, then records ready and notifies', async () => {
    await expect(runUpload({ complete: true })).resolves.toEqual({ status: 'ready', error: null });
    expect(steps()).toEqual([
      'verifyUpload', 'ingestOriginal', 'extractMetadata', 'processImage', 'createThumbnail',
      'finishUpload:ready', 'publishEvent:upload.ready',
    ]);
    // The last step on the worker frees its local copy; the earlier ones keep it.
    expect(inputs.filter((i) => ['extractMetadata', 'processImage', 'createThumbnail'].includes(i.name)).map((i) => i.input)).toEqual([
      expect.objectContaining({ releaseAfter: false }),
      expect.objectContaining({ releaseAfter: false }),
      expect.objectContaining({ releaseAfter: true }),
    ]);
  });

  it('frees the local copy at ingest when nothing follows (a document)', async () => {
    behaviour.verifyUpload = async () => ({ kind: 'document', detectedType: 'text/plain' });
    await expect(runUpload({ complete: true })).resolves.toEqual({ status: 'ready', error: null });
    expect(steps()).toEqual(['verifyUpload', 'ingestOriginal', 'finishUpload:ready', 'publishEvent:upload.ready']);
    expect(inputs.find((i) => i.name === 'ingestOriginal')?.input).toMatchObject({ keepLocalCopy: false });
  });

  it('verifies the object pinned by the first complete; later signals change nothing', async () => {
    await runUpload({ complete: true, signals: ['"first"', '"second"'] });
    expect(inputs.find((i) => i.name === 'verifyUpload')?.input).toMatchObject({ etag: '"first"' });
  });

  it('takes the upload over on another worker when the local copy is lost', async () => {
    let lost = 1;
    behaviour.processImage = async () => {
      if (lost-- > 0) throw ApplicationFailure.create({ type: WORKSPACE_LOST, message: 'gone', nonRetryable: true });
    };
    await expect(runUpload({ complete: true })).resolves.toEqual({ status: 'ready', error: null });
    expect(steps()).toEqual([
      'verifyUpload', 'ingestOriginal', 'extractMetadata', 'processImage',
      'ingestOriginal', 'extractMetadata', 'processImage', 'createThumbnail',
      'finishUpload:ready', 'publishEvent:upload.ready',
    ]);
  });

  it('leaves a sweeper that deletes a late PUT once the upload URL is dead', async () => {
    const uploadId = randomUUID();
    await runUpload({ complete: true, uploadId });
    const sweeper = await client.workflow.getHandle(incomingSweepWorkflowIdFor(uploadId)).describe();
    expect([sweeper.type, sweeper.status.name]).toEqual(['incomingSweepWorkflow', 'RUNNING']);
    await client.workflow.getHandle(incomingSweepWorkflowIdFor(uploadId)).terminate('test done');
  });

  it('turns a typed rejection into `rejected` and stops the pipeline there', async () => {
    behaviour.ingestOriginal = async () => {
      throw ApplicationFailure.create({ type: 'INFECTED', message: 'found Eicar', nonRetryable: true });
    };
    await expect(runUpload({ complete: true })).resolves.toEqual({
      status: 'rejected',
      error: { code: 'INFECTED', message: 'found Eicar' },
    });
    expect(steps()).toEqual(['verifyUpload', 'ingestOriginal', 'finishUpload:rejected', 'publishEvent:upload.rejected']);
  });

  it('releases the worker\'s local copy when a step rejects the file', async () => {
    behaviour.processImage = async () => {
      throw ApplicationFailure.create({ type: 'CORRUPT_MEDIA', message: 'broken', nonRetryable: true });
    };
    await expect(runUpload({ complete: true })).resolves.toMatchObject({ status: 'rejected' });
    expect(steps().slice(-4)).toEqual([
      'processImage', 'releaseWorkspace', 'finishUpload:rejected', 'publishEvent:upload.rejected',
    ]);
  });

  it('turns an unexpected non-retryable error into `failed`, never `ready`', async () => {
    behaviour.processImage = async () => {
      // What a tool or service says can name hosts, ports and paths: it must not reach the tenant.
      throw ApplicationFailure.create({ type: 'Bug', message: 'connect ECONNREFUSED 10.0.0.7:3310 /tmp/work/x', nonRetryable: true });
    };
    const result = await runUpload({ complete: true });
    expect(result).toEqual({
      status: 'failed',
      error: { code: 'PROCESSING_FAILED', message: 'Processing kept failing after retries; the upload was not processed' },
    });
    expect(steps().slice(-2)).toEqual(['finishUpload:failed', 'publishEvent:upload.failed']);
  });

  it('announces `upload.processing` once the bytes arrived, before verify, and the outcome last', async () => {
    await runUpload({ complete: true });
    expect(calls.slice(0, 2)).toEqual(['publishEvent:upload.processing', 'verifyUpload']);
    expect(calls.filter((c) => c === 'publishEvent:upload.processing')).toHaveLength(1);
    expect(calls.at(-1)).toBe('publishEvent:upload.ready');
  });


  it('the sweeper deletes the incoming object once the upload URL is dead', async () => {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: stubs(),
    });
    await worker.runUntil(
      client.workflow.execute('incomingSweepWorkflow', {
        taskQueue,
        workflowId: `sweep-${randomUUID()}`,
        args: [{ uploadId: 'u-1', sweepAt: new Date(Date.now() - 1000).toISOString() }],
      }),
    );
    expect(inputs).toEqual([{ name: 'deleteIncoming', input: { uploadId: 'u-1' } }]);
  });

  it('expires when no complete signal arrives in time, without processing, and says so', async () => {
    const result = await runUpload({ complete: false, expiresInMs: 1500 });
    expect(result.status).toBe('expired');
    expect(calls).toEqual(['expireUpload', 'publishEvent:upload.expired']);
  });
});
