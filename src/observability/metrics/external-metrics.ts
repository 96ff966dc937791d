/**
 * Metrics that others export and Intake's alert rules and dashboard (deploy/) use, as scraped from
 * them. test/unit/alert-rules.spec.ts allows only these besides Intake's own; the e2e metrics spec
 * checks the SDK's against a real worker.
 */

/** The Temporal server (start-dev --metrics-port); `-` in task queue names becomes `_` in labels. */
export const TEMPORAL_SERVER_METRICS = ['approximate_backlog_count', 'approximate_backlog_age_seconds'] as const;

/** The Temporal SDK in each worker (TEMPORAL_METRICS_PORT); durations in milliseconds. */
export const TEMPORAL_SDK_METRICS = ['temporal_activity_schedule_to_start_latency_bucket', 'temporal_worker_task_slots_available'] as const;

/** Prometheus's own series for every target. */
export const PROMETHEUS_METRICS = ['up'] as const;
