import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { StepOutcome, WorkerMetrics } from './worker-metrics';

/**
 * How an attempt ended: `rejected` is a non-retryable failure (the file's fault, or a step that
 * must not run again); `retried_failure` is any other error, which Temporal retries until the
 * activity's attempts run out.
 */
export function stepOutcome(err: unknown, cancelled: boolean): StepOutcome {
  if (cancelled || err instanceof CancelledFailure) return 'cancelled';
  if (err instanceof ApplicationFailure && err.nonRetryable) return 'rejected';
  return 'retried_failure';
}

/**
 * Times every activity attempt by its type and outcome, and counts media tool failures. A factory of
 * its own, so the worker lists it beside other interceptors (tracing).
 */
export function activityMetricsInterceptor(metrics: WorkerMetrics): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          const result = await next(input);
          metrics.stepFinished(ctx.info.activityType, 'success', seconds());
          return result;
        } catch (err) {
          metrics.stepFinished(ctx.info.activityType, stepOutcome(err, ctx.cancellationSignal.aborted), seconds(), err);
          throw err;
        }
      },
    },
  });
}
