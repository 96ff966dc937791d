import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Sends the Temporal SDK's logs (worker, workflow and activity loggers) into our JSON stream and,
 * given a bind address, serves the SDK's own metrics for Prometheus there (TEMPORAL_METRICS_PORT).
 * With tracing on, workflow and activity lines arrive with trace_id and span_id in their metadata
 * (the tracing interceptors' getLogAttributes): kept as they are, over the logger's own mixin.
 */
export function installTemporalRuntime(logger: Logger, level: string, metricsBindAddress?: string): void {
  const sdkLevel = (['trace', 'debug', 'info', 'warn', 'error'].includes(level) ? level.toUpperCase() : 'INFO') as LogLevel;
  Runtime.install({
    ...(metricsBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsBindAddress } } } } : {}),
    logger: new DefaultLogger(sdkLevel, (entry) => {
      logger[LEVELS[entry.level]]({ ...entry.meta }, entry.message);
    }),
  });
}
