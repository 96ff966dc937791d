import { context, propagation, trace } from '@opentelemetry/api';
import { ConfigError, loadConfig } from '../../src/config/config';
import { tracingClientInterceptors, tracingWorkerParts } from '../../src/observability/tracing/temporal-tracing';
import { startTracing } from '../../src/observability/tracing/tracer-provider';

describe('tracing configuration', () => {
  afterEach(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('installs nothing without OTEL_EXPORTER_OTLP_ENDPOINT: no provider, no client or worker interceptors, no sink', () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    const tracing = startTracing(config, 'intake-api');
    expect(tracing).toBeNull();
    // The global API stays the no-op one: spans are not recorded and never become active.
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    expect(context.with(trace.setSpan(context.active(), span), () => trace.getActiveSpan())).toBeUndefined();
    expect(tracingClientInterceptors(tracing)).toBeUndefined();
    expect(tracingWorkerParts(tracing)).toEqual({ activity: [], sinks: {} });
  });

  it('with an endpoint, registers a recording provider and the interceptors and workflow span sink', async () => {
    const tracing = startTracing(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }), 'intake-worker');
    expect(tracing?.resource.attributes['service.name']).toBe('intake-worker');
    const span = trace.getTracer('probe').startSpan('probe'); // never ended: nothing is exported
    expect(span.isRecording()).toBe(true);
    expect(context.with(trace.setSpan(context.active(), span), () => trace.getActiveSpan())).toBe(span);
    expect(tracingClientInterceptors(tracing)?.workflow).toHaveLength(1);
    const worker = tracingWorkerParts(tracing);
    expect([worker.activity.length, Object.keys(worker.sinks)]).toEqual([1, ['exporter']]);
    await tracing!.shutdown();
  });

  it('refuses an endpoint that is not a URL', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
  });
});
