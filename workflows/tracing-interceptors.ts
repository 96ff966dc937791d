import { TRACE_HEADER, headersWithContext } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * Workflow side of tracing (src/observability/tracing). The bundle is built before anyone knows
 * whether a process traces, so the OpenTelemetry interceptors act only for a workflow whose start
 * carried a trace context: its starter traced, so its worker does too (all processes share the
 * setting). Any other workflow passes straight through, and replays exactly as before.
 */
export const interceptors = (): WorkflowInterceptors => {
  // Per workflow run: decided by execute(), which comes before anything it schedules.
  let otel: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor } | undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      if (TRACE_HEADER in input.headers) otel = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor() };
      return otel ? otel.inbound.execute(input, next) : next(input);
    },
    handleSignal: (input, next) => (otel ? otel.inbound.handleSignal(input, next) : next(input)),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (otel ? otel.outbound.scheduleActivity(input, next) : next(input)),
    // Local activities (bookkeeping, publishing: milliseconds, run inline) and the incoming sweeper
    // child carry the context without a span of their own in the sandbox: there each span is
    // exported by a sink call at once, the bulk of tracing's cost (bench/README.md). Their run
    // spans, made on the worker's main thread, hang off RunWorkflow.
    scheduleLocalActivity: (input, next) => (otel ? next({ ...input, headers: headersWithContext(input.headers) }) : next(input)),
    startChildWorkflowExecution: (input, next) => (otel ? next({ ...input, headers: headersWithContext(input.headers) }) : next(input)),
    signalWorkflow: (input, next) => (otel ? otel.outbound.signalWorkflow(input, next) : next(input)),
    continueAsNew: (input, next) => (otel ? otel.outbound.continueAsNew(input, next) : next(input)),
    // Workflow log lines carry trace_id and span_id.
    getLogAttributes: (input, next) => (otel ? otel.outbound.getLogAttributes(input, next) : next(input)),
  };
  const internals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => (otel ? new OpenTelemetryInternalsInterceptor().dispose(input, next) : next(input)),
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
