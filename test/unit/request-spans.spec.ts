import { context, propagation, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../src/config/config';
import { traceRequests } from '../../src/observability/tracing/request-spans';
import { startTracing } from '../../src/observability/tracing/tracer-provider';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('request spans and what a client sends', () => {
  afterEach(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it("joins the caller's trace, but carries none of its baggage on into Temporal's headers", async () => {
    const tracing = startTracing(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), 'intake-api')!;
    const headers = {
      traceparent: `00-${CLIENT_TRACE}-b7ad6b7169203331-01`,
      baggage: `k0=${'x'.repeat(4000)},k1=${'y'.repeat(4000)}`,
    };
    const req = Object.assign(new EventEmitter(), { headers, method: 'POST', path: '/v1/uploads' }) as unknown as Request;
    const res = new EventEmitter() as unknown as Response; // never closed: the span is not exported
    let carried: Record<string, string> = {};
    const next: NextFunction = () => {
      propagation.inject(context.active(), carried);
    };
    traceRequests(tracing.tracer)(req, res, next);
    // What the Temporal client interceptor would put in the workflow's start (and its history).
    expect(carried.traceparent).toContain(CLIENT_TRACE);
    expect(carried.baggage?.length ?? 0).toBe(0);
    carried = {};
    await tracing.shutdown();
  });
});
