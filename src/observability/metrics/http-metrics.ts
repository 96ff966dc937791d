import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiMetrics } from './api-metrics';

/**
 * The route label: the pattern Express matched (`/v1/uploads/:id`), the mount path of a handler
 * mounted with app.use (tus), or `unmatched` — never the raw URL, whose ids would make a series each.
 */
export const UNMATCHED_ROUTE = 'unmatched';

export function routeLabel(req: Pick<Request, 'route' | 'originalUrl'>, mounts: readonly string[]): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return pattern;
  const path = req.originalUrl.split('?')[0]!;
  return mounts.find((mount) => path === mount || path.startsWith(`${mount}/`)) ?? UNMATCHED_ROUTE;
}

/**
 * Counts and times every request once its connection is done with it. A client that went away
 * before the answer was sent is `aborted` (an SSE stream ends that way too).
 */
export function recordHttpMetrics(metrics: ApiMetrics, mounts: readonly string[] = []): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const labels = { method: req.method, route: routeLabel(req, mounts), status: res.writableFinished ? String(res.statusCode) : 'aborted' };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
