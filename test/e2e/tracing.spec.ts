import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workflowIdFor } from '../../workflows/contract';
import { ApiClient } from '../support/api-client';
import { makeImage } from '../support/media';
import { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { runTus, textFile } from '../support/tus-client';
import { eventually } from '../support/stack';
import { createTenant, uploadFile, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'e2e-tracing-admin-token-0123';

/** The spans of one upload's trace, from the API request to the webhook deliveries. */
const EXPECTED = [
  'StartWorkflow:uploadWorkflow',
  'RunWorkflow:uploadWorkflow',
  'RunActivity:verifyUpload',
  'RunActivity:ingestOriginal',
  'RunActivity:extractMetadata',
  'RunActivity:processImage',
  'RunActivity:createThumbnail',
  'RunActivity:finishUpload',
  'RunActivity:publishEvent',
  'StartWorkflow:webhookDeliveryWorkflow',
  'RunWorkflow:webhookDeliveryWorkflow',
  'RunActivity:attemptDeliveries',
];

/** Tracing through the real API and worker processes, exported over OTLP/HTTP to a collector on loopback. */
describe('tracing (HTTP API + worker processes exporting to an OTLP receiver)', () => {
  const collector = new OtlpReceiver();
  const webhooks = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let worker: PlatformProcess;
  let api: ApiClient;
  let apiUrl: string;
  let apiKey: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-tracing-'));
    await Promise.all([collector.start(), webhooks.start(), makeImage(join(dir, 'chart.png'), 800, 600, 'png')]);
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint };
    const started = await startApi(env);
    worker = await startWorker(env);
    processes.push(started.proc, worker);
    const tenant = await createTenant(started.url, ADMIN_TOKEN, webhooks.url);
    [apiUrl, apiKey] = [started.url, tenant.apiKey];
    api = new ApiClient(apiUrl, apiKey);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await Promise.all([collector.stop(), webhooks.stop()]);
  });

  const traceOf = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);
  const named = (spans: ReceivedSpan[], name: string) => spans.find((s) => s.name === name);

  it('follows an upload in one trace, from POST /v1/uploads through every activity to its webhook deliveries', async () => {
    const uploadId = await uploadFile(api, join(dir, 'chart.png'), 'image/png');
    expect((await webhookFor(webhooks, uploadId)).body.type).toBe('upload.ready');

    // The client's StartWorkflow span names the upload's workflow: its trace is the upload's.
    const start = await eventually(
      () => collector.spans.find((s) => s.name === 'StartWorkflow:uploadWorkflow' && s.attributes.temporalWorkflowId === workflowIdFor(uploadId)),
      30_000,
      'the upload workflow start span',
    );
    // Workflow spans are exported when they end: wait until the last ones (the deliveries') are in.
    const spans = await eventually(
      () => {
        const trace = traceOf(start.traceId);
        return EXPECTED.every((name) => named(trace, name)) && trace.filter((s) => s.name === 'RunActivity:attemptDeliveries').length >= 2
          ? trace
          : undefined;
      },
      60_000,
      `spans ${EXPECTED.join(', ')} in trace ${start.traceId}`,
    );

    // The API request is the root; every other span descends from it.
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => [s.service, s.name, s.attributes['http.route'], s.attributes['http.response.status_code']])).toEqual([
      ['intake-api', 'POST /v1/uploads', '/v1/uploads', 201],
    ]);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestry = (span: ReceivedSpan): string[] => {
      const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
      return parent ? [parent.name, ...ancestry(parent)] : [];
    };
    for (const span of spans.filter((s) => s !== roots[0])) {
      expect([span.name, ancestry(span).at(-1)]).toEqual([span.name, 'POST /v1/uploads']);
    }
    // The chain runs through the workflow, and the delivery through the activity that published it.
    expect(ancestry(named(spans, 'RunActivity:processImage')!)).toEqual(
      expect.arrayContaining(['StartActivity:processImage', 'RunWorkflow:uploadWorkflow', 'StartWorkflow:uploadWorkflow']),
    );
    expect(ancestry(named(spans, 'RunActivity:attemptDeliveries')!)).toEqual(
      expect.arrayContaining(['RunWorkflow:webhookDeliveryWorkflow', 'StartWorkflow:webhookDeliveryWorkflow', 'RunActivity:publishEvent']),
    );
    expect(named(spans, 'RunActivity:extractMetadata')!.service).toBe('intake-worker');

    // An activity's log line carries the trace and its own span.
    const extract = named(spans, 'RunActivity:extractMetadata')!;
    const lines = worker.logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'metadata extracted' && l.uploadId === uploadId)).toMatchObject({
      trace_id: start.traceId,
      span_id: extract.spanId,
    });

    // The complete call is a request of its own: its trace signals the workflow.
    const completed = await eventually(
      () => collector.spans.find((s) => s.name === 'POST /v1/uploads/:id/complete' && s.attributes['http.response.status_code'] === 202),
      30_000,
      'the complete request span',
    );
    const signalled = await eventually(
      () => (named(traceOf(completed.traceId), 'HandleSignal:uploadCompleted') ? traceOf(completed.traceId) : undefined),
      30_000,
      'the workflow handling the complete signal',
    );
    expect(named(signalled, 'SignalWorkflow:uploadCompleted')?.parentSpanId).toBe(completed.spanId);
  });

  it('traces tus uploads too: the creating request is the root of the upload workflow\'s trace', async () => {
    const { url } = await runTus(textFile(64 * 1024), { endpoint: `${apiUrl}/v1/tus`, token: apiKey });
    const uploadId = url.split('/').at(-1)!;
    expect((await webhookFor(webhooks, uploadId)).body.type).toBe('upload.ready');
    const start = await eventually(
      () => collector.spans.find((s) => s.name === 'StartWorkflow:uploadWorkflow' && s.attributes.temporalWorkflowId === workflowIdFor(uploadId)),
      30_000,
      'the tus upload\'s workflow start span',
    );
    const parent = collector.spans.find((s) => s.spanId === start.parentSpanId);
    expect([parent?.name, parent?.parentSpanId, parent?.attributes['http.response.status_code']]).toEqual(['POST /v1/tus', undefined, 201]);
    // Its PATCH, which finished the bytes, is a request span of its own.
    const patch = await eventually(
      () => collector.spans.find((s) => s.attributes['url.path'] === `/v1/tus/${uploadId}` && s.attributes['http.request.method'] === 'PATCH'),
      30_000,
      'the tus PATCH request span',
    );
    expect([patch.name, patch.attributes['http.response.status_code']]).toEqual(['PATCH /v1/tus', 204]);
  });
});
