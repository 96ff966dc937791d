import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, defaultTextMapGetter, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { UNMATCHED_ROUTE, routeLabel } from '../metrics/http-metrics';

/** The caller's traceparent/tracestate only (the global propagator would take its baggage too). */
const callerTrace = new W3CTraceContextPropagator();

/**
 * One server span per API request, active while the request is handled, so the Temporal client's
 * spans (starting or signalling a workflow) are its children. A `traceparent` from the caller
 * makes it part of the caller's trace. Named by route pattern, which is known only once routed.
 * Only the trace context is taken from the caller, never its `baggage`: that would ride on in every
 * Temporal header the upload's workflow writes (up to 8 KB of a stranger's text in its history).
 */
export function traceRequests(tracer: Tracer, mounts: readonly string[] = []): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = callerTrace.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    res.once('close', () => {
      // The same route name as the request metrics (a pattern or a mount, never the raw URL).
      const route = routeLabel(req, mounts);
      if (route !== UNMATCHED_ROUTE) span.updateName(`${req.method} ${route}`).setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // Body parsers (and tus) go on in stream callbacks: bound, those run in this context too.
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}
