/** ApiMetrics, or null when METRICS_ENABLED is false (inject with @Optional and skip when null). */
export const API_METRICS = Symbol('API_METRICS');
/** WorkerMetrics, or null when METRICS_ENABLED is false. */
export const WORKER_METRICS = Symbol('WORKER_METRICS');
