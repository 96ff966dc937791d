import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { Activities } from '../../activities';
import { UploadWorkflowResult, uploadCompletedSignal, workflowIdFor } from '../../workflows/contract';
import { testConfig } from '../support/stack';

/**
 * The workflow's own decisions (ordering, rejected vs failed, webhook give-up, expiry) on the real
 * Temporal server. Activities are stand-ins that record calls: the pipeline's real activities are
 * covered by the other integration specs and the e2e suite.
 */
describe('uploadWorkflow on the real Temporal server', () => {
  const config = testConfig();
  const taskQueue = `workflow-spec-${randomUUID()}`;
  let client: Client;
  let connection: NativeConnection;
  let calls: string[];
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
    behaviour = {};
  });

  function stubs(): Partial<Record<keyof Activities, (input: any) => Promise<unknown>>> {
    const names: Array<keyof Activities> = [
      'verifyUpload', 'scanUpload', 'extractMetadata', 'processImage', 'createThumbnail',
      'finishUpload', 'expireUpload', 'notifyTenant',
    ];
    return Object.fromEntries(
      names.map((name) => [
        name,
        async (input: { status?: string; event?: string }) => {
          calls.push(input.status ? `${name}:${input.status}` : input.event ? `${name}:${input.event}` : name);
          const custom = behaviour[name];
          if (custom) return custom();
          return name === 'verifyUpload' ? { kind: 'image', detectedType: 'image/png' } : undefined;
        },
      ]),
    );
  }

  async function runUpload(opts: { complete: boolean; expiresInMs?: number }): Promise<UploadWorkflowResult> {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: stubs(),
    });
    return worker.runUntil(async () => {
      const uploadId = randomUUID();
      const handle = await client.workflow.start('uploadWorkflow', {
        taskQueue,
        workflowId: workflowIdFor(uploadId),
        args: [{ uploadId, tenantId: randomUUID(), expiresAt: new Date(Date.now() + (opts.expiresInMs ?? 60_000)).toISOString() }],
      });
      if (opts.complete) await handle.signal(uploadCompletedSignal);
      return handle.result();
    });
  }

  it('runs the image pipeline in order, then records ready and notifies', async () => {
    await expect(runUpload({ complete: true })).resolves.toEqual({ status: 'ready', error: null });
    expect(calls).toEqual([
      'verifyUpload', 'scanUpload', 'extractMetadata', 'processImage', 'createThumbnail',
      'finishUpload:ready', 'notifyTenant:upload.ready',
    ]);
  });

  it('turns a typed rejection into `rejected` and stops the pipeline there', async () => {
    behaviour.scanUpload = async () => {
      throw ApplicationFailure.create({ type: 'INFECTED', message: 'found Eicar', nonRetryable: true });
    };
    await expect(runUpload({ complete: true })).resolves.toEqual({
      status: 'rejected',
      error: { code: 'INFECTED', message: 'found Eicar' },
    });
    expect(calls).toEqual(['verifyUpload', 'scanUpload', 'finishUpload:rejected', 'notifyTenant:upload.rejected']);
  });

  it('turns an unexpected non-retryable error into `failed`, never `ready`', async () => {
    behaviour.processImage = async () => {
      throw ApplicationFailure.create({ type: 'Bug', message: 'boom', nonRetryable: true });
    };
    const result = await runUpload({ complete: true });
    expect(result).toEqual({ status: 'failed', error: { code: 'PROCESSING_FAILED', message: 'boom' } });
    expect(calls.slice(-2)).toEqual(['finishUpload:failed', 'notifyTenant:upload.failed']);
  });

  it('keeps `ready` when the webhook endpoint never accepts', async () => {
    behaviour.notifyTenant = async () => {
      throw ApplicationFailure.create({ type: 'WEBHOOK_DELIVERY_FAILED', message: 'answered 500', nonRetryable: true });
    };
    await expect(runUpload({ complete: true })).resolves.toEqual({ status: 'ready', error: null });
  });

  it('expires when no complete signal arrives in time, without processing or notifying', async () => {
    const result = await runUpload({ complete: false, expiresInMs: 1500 });
    expect(result.status).toBe('expired');
    expect(calls).toEqual(['expireUpload']);
  });
});
