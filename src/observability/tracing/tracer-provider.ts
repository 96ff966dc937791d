import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { AppConfig } from '../../config/config';

export type TracedService = 'intake-api' | 'intake-worker';

/** A process's tracing, once started: what the request spans and Temporal's interceptors and sinks need. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process-wide tracer provider (with the AsyncLocalStorage context manager and W3C
 * propagation) exporting over OTLP/HTTP, or nothing at all without an endpoint: tracing off costs
 * nothing, since no provider, middleware or interceptor exists.
 */
export function startTracing(config: Pick<AppConfig, 'OTEL_EXPORTER_OTLP_ENDPOINT'>, service: TracedService): Tracing | null {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return null;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: service });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { tracer: provider.getTracer('intake'), resource, spanProcessor, shutdown: () => provider.shutdown() };
}
