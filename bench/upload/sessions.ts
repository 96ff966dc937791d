import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { ApiClient, putPresigned } from '../../test/support/api-client';

export interface SessionsResult {
  sessions: number;
  errors: number;
  firstErrors: string[];
  /** Each API call's latency (create and complete), in ms. */
  apiLatenciesMs: number[];
  createMs: number[];
  completeMs: number[];
  seconds: number;
}

/**
 * `n` upload sessions at once, each the whole client side of a PUT upload: create -> PUT `bytes`
 * to storage -> complete. Only the API calls are timed; storage time is the S3 server's.
 */
export async function runSessions(api: ApiClient, n: number, bytes: Buffer): Promise<SessionsResult> {
  const createMs: number[] = [];
  const completeMs: number[] = [];
  const errors: string[] = [];
  const timed = async <T>(into: number[], call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await call();
    } finally {
      into.push(performance.now() - started);
    }
  };
  const session = async (i: number) => {
    try {
      const created = await timed(createMs, () =>
        api.post('/v1/uploads', { filename: `session-${i}.txt`, contentType: 'text/plain', size: bytes.length }),
      );
      if (created.status !== 201) throw new Error(`create ${created.status} ${JSON.stringify(created.body)}`);
      const put = await putPresigned(created.body.upload.url, created.body.upload.headers, bytes);
      if (put.status !== 200) throw new Error(`PUT ${put.status}`);
      const done = await timed(completeMs, () => api.post(`/v1/uploads/${created.body.id}/complete`));
      if (done.status !== 202) throw new Error(`complete ${done.status} ${JSON.stringify(done.body)}`);
    } catch (err) {
      errors.push((err as Error).message);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => session(i)));
  return {
    sessions: n,
    errors: errors.length,
    firstErrors: errors.slice(0, 5),
    apiLatenciesMs: [...createMs, ...completeMs],
    createMs,
    completeMs,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The same Temporal work as `n` sessions, sent straight to Temporal at the same concurrency: each
 * starts a workflow and signals it once (what create and complete ask of Temporal). No worker polls
 * the queue, as in the sessions run. What the sessions take beyond this is the API's own cost.
 */
export async function runTemporalBaseline(temporal: Client, n: number): Promise<{ seconds: number; callMs: number[] }> {
  const callMs: number[] = [];
  const timed = async (call: () => Promise<unknown>) => {
    const started = performance.now();
    await call();
    callMs.push(performance.now() - started);
  };
  const run = randomUUID();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const workflowId = `bench-baseline-${run}-${i}`;
      await timed(() => temporal.workflow.start('uploadWorkflow', { taskQueue: 'bench-baseline', workflowId, args: [] }));
      await timed(() => temporal.workflow.getHandle(workflowId).signal('uploadCompleted', { etag: 'baseline' }));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(
    Array.from({ length: n }, (_, i) => temporal.workflow.getHandle(`bench-baseline-${run}-${i}`).terminate('benchmark baseline')),
  );
  return { seconds, callMs };
}
