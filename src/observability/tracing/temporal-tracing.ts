import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Tracing } from './tracer-provider';

/**
 * A Temporal client's interceptors: each start or signal gets a span, and its context travels in
 * the workflow's headers, so the workflow's spans join the caller's trace (the API request's, or
 * for webhook deliveries the publishing activity's). None without tracing.
 */
export function tracingClientInterceptors(tracing: Tracing | null): ClientInterceptors | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] } : undefined;
}

/**
 * A worker's part: a span around each activity (child of the workflow's StartActivity span, and
 * the active context while it runs, so its log lines carry trace_id) and the sink through which
 * the workflow sandbox's spans are exported. The workflow interceptors are in the bundle
 * (workflows/tracing-interceptors.ts). Empty without tracing.
 */
export function tracingWorkerParts(tracing: Tracing | null): { activity: ActivityInterceptorsFactory[]; sinks: NonNullable<WorkerOptions['sinks']> } {
  if (!tracing) return { activity: [], sinks: {} };
  const activity: ActivityInterceptorsFactory = (ctx) => ({
    inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
    outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
  });
  const exporter = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  // The SDK copies the whole WorkflowInfo onto every workflow span; these say which run it was.
  const fn = (info: WorkflowInfo, spans: unknown[]) => exporter.export.fn(pickInfo(info), spans as never);
  return { activity: [activity], sinks: { exporter: { export: { ...exporter.export, fn } } } };
}

const pickInfo = ({ workflowId, runId, workflowType, taskQueue, attempt }: WorkflowInfo) =>
  ({ workflowId, runId, workflowType, taskQueue, attempt }) as WorkflowInfo;
