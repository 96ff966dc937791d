import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { Activities } from '../../activities';
import type { BegunRerun } from '../../activities/rerun';
import { type UploadRerun, workflowIdFor } from '../../workflows/contract';
import { testConfig } from '../support/stack';

/**
 * A rerun's decisions (workflows/upload-rerun.ts) on the real Temporal server, with stand-in
 * activities that record calls: which steps are skipped, what each outcome does to the generations.
 * The real activities and stores are covered by output-generations.spec.ts and the admin e2e specs.
 */
describe('upload reruns on the real Temporal server', () => {
  const config = testConfig();
  let taskQueue: string;
  let client: Client;
  let connection: NativeConnection;
  let calls: string[];
  let inputs: Record<string, unknown>;
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
    inputs = {};
    behaviour = {};
    taskQueue = `rerun-spec-${randomUUID()}`;
  });

  function stubs(begun: BegunRerun) {
    const names: Array<keyof Activities> = [
      'beginRerun', 'ingestOriginal', 'extractMetadata', 'processImage', 'createThumbnail', 'releaseWorkspace',
      'finishUpload', 'publishEvent', 'promoteGeneration', 'discardGeneration', 'dropUnreferencedOutputs',
    ];
    const defaults: Partial<Record<keyof Activities, unknown>> = {
      beginRerun: begun,
      ingestOriginal: { taskQueue, sha256: 'ab'.repeat(32) },
      promoteGeneration: true,
      dropUnreferencedOutputs: { deleted: 0 },
    };
    return Object.fromEntries(
      names.map((name) => [
        name,
        async (input: { status?: string; event?: string; generation?: number }) => {
          const suffix = input.status ?? (input.event ? `${input.event}#${input.generation}` : undefined);
          calls.push(suffix ? `${name}:${suffix}` : name);
          inputs[name] = input;
          const custom = behaviour[name];
          return custom ? custom() : defaults[name];
        },
      ]),
    );
  }

  async function rerun(rerunInput: UploadRerun, begun: BegunRerun, outputs = ['optimized', 'thumbnail']) {
    const worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('../../workflows'), activities: stubs(begun) });
    return worker.runUntil(async () => {
      const uploadId = randomUUID();
      const handle = await client.workflow.start('uploadWorkflow', {
        taskQueue,
        workflowId: workflowIdFor(uploadId),
        args: [{ uploadId, tenantId: randomUUID(), expiresAt: new Date(0).toISOString(), outputs, rerun: rerunInput }],
      });
      return handle.result().catch((err: unknown) => err);
    });
  }

  const image = (generation: number, done: Partial<{ metadataDone: boolean; doneOutputs: string[] }> = {}): BegunRerun => ({
    generation, kind: 'image', metadataDone: false, doneOutputs: [], ...done,
  });

  it('a retry skips recorded metadata and outputs and runs what failed, with new events', async () => {
    const result = await rerun({ kind: 'retry' }, image(1, { metadataDone: true, doneOutputs: ['optimized'] }));
    expect(result).toEqual({ status: 'ready', error: null });
    expect(calls).toEqual([
      'beginRerun', 'publishEvent:upload.processing#1', 'ingestOriginal', 'createThumbnail',
      'finishUpload:ready', 'dropUnreferencedOutputs', 'publishEvent:upload.ready#1',
    ]);
    expect(inputs.ingestOriginal).toEqual({ uploadId: expect.any(String), keepLocalCopy: true });
  });

  it('a reprocess re-scans, runs every step into its generation and swaps it in', async () => {
    const result = await rerun({ kind: 'reprocess' }, image(3));
    expect(result).toEqual({ status: 'ready', error: null });
    expect(calls).toEqual([
      'beginRerun', 'ingestOriginal', 'extractMetadata', 'processImage', 'createThumbnail',
      'promoteGeneration', 'dropUnreferencedOutputs', 'publishEvent:upload.ready#3',
    ]);
    expect(inputs.ingestOriginal).toMatchObject({ rescan: true });
  });

  it('a reprocess that keeps failing drops its generation and leaves the upload as it was', async () => {
    behaviour.processImage = async () => {
      throw ApplicationFailure.create({ type: 'Bug', message: 'tool missing', nonRetryable: true });
    };
    const result = await rerun({ kind: 'reprocess' }, image(2));
    expect(result).toBeInstanceOf(WorkflowFailedError);
    expect((result as WorkflowFailedError).cause).toMatchObject({ type: 'PROCESSING_FAILED' });
    expect(calls.slice(-3)).toEqual(['releaseWorkspace', 'discardGeneration', 'dropUnreferencedOutputs']);
  });

  it('a reprocess that finds the file refused now ends the upload rejected', async () => {
    behaviour.ingestOriginal = async () => {
      throw ApplicationFailure.create({ type: 'INFECTED', message: 'found Eicar', nonRetryable: true });
    };
    const result = await rerun({ kind: 'reprocess' }, image(2));
    expect(result).toEqual({ status: 'rejected', error: { code: 'INFECTED', message: 'found Eicar' } });
    expect(calls).toEqual(['beginRerun', 'ingestOriginal', 'finishUpload:rejected', 'publishEvent:upload.rejected#2']);
  });

  it('a rerun the upload no longer fits fails without touching it', async () => {
    const result = await rerun({ kind: 'retry' }, { refused: 'upload x is ready, not failed' });
    expect((result as WorkflowFailedError).cause).toMatchObject({ type: 'NOT_RETRYABLE' });
    expect(calls).toEqual(['beginRerun']);
  });
});
