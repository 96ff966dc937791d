import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MediaKind, Upload, UploadStatus } from '../../database/entities/upload.entity';
import { mediaFailureLabels } from './media-failures';
import { scratchUsage } from './scratch-usage';

/** Seconds; a verify takes tens of ms, a transcode of a long video hours. */
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600];
const UPLOAD_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600];

/** How an activity attempt ended (see activity-metrics.interceptor.ts). */
export type StepOutcome = 'success' | 'rejected' | 'retried_failure' | 'cancelled';
export type ScanVerdict = 'clean' | 'infected' | 'limit' | 'encrypted';
export type AttemptOutcome = 'delivered' | 'will_retry' | 'failed';
export type FinishedStatus = Extract<UploadStatus, 'ready' | 'rejected' | 'failed' | 'expired'>;

/** A worker process's metrics, served on WORKER_HTTP_PORT with /livez and /readyz. */
export class WorkerMetrics {
  readonly registry = new Registry();

  readonly stepDuration = new Histogram({
    name: 'intake_activity_duration_seconds',
    help: 'Activity attempts by activity type and outcome (success, rejected, retried_failure, cancelled)',
    labelNames: ['activity', 'outcome'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });

  readonly bytesProcessed = new Counter({
    name: 'intake_bytes_processed_total',
    help: 'Bytes of originals read by ingestOriginal (ingested) and sent to clamd (scanned)',
    labelNames: ['step'] as const,
    registers: [this.registry],
  });

  readonly scanVerdicts = new Counter({
    name: 'intake_scan_verdicts_total',
    help: 'Virus scan verdicts: clean, infected, limit (too large to vouch for), encrypted',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });

  readonly mediaFailures = new Counter({
    name: 'intake_media_failures_total',
    help: 'Media tool failures by tool (ffmpeg, ffprobe, sharp) and kind (unreadable, limit, crash, unavailable)',
    labelNames: ['tool', 'kind'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'intake_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, will_retry, failed (no attempt follows)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly uploadsFinished = new Counter({
    name: 'intake_uploads_finished_total',
    help: 'Uploads that ended, by status (ready, rejected, failed, expired) and media kind',
    labelNames: ['status', 'kind'] as const,
    registers: [this.registry],
  });

  readonly uploadProcessing = new Histogram({
    name: 'intake_upload_processing_seconds',
    help: 'Time from the bytes being complete (complete, or the storage noticing them) to the upload being ready, by media kind',
    labelNames: ['kind'] as const,
    buckets: UPLOAD_BUCKETS,
    registers: [this.registry],
  });

  constructor(workDir: string) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'intake_workspace_bytes',
      help: "Bytes of this worker's scratch directory (WORK_DIR) in use",
      registers: [this.registry],
      async collect() {
        this.set(await scratchUsage(workDir).catch(() => 0));
      },
    });
  }

  stepFinished(activity: string, outcome: StepOutcome, seconds: number, error?: unknown): void {
    this.stepDuration.observe({ activity, outcome }, seconds);
    const media = error === undefined ? undefined : mediaFailureLabels(error);
    if (media) this.mediaFailures.inc(media);
  }

  /** One read of an original; `scanned` when its bytes also went to clamd. */
  originalRead(bytes: number, scanned: boolean): void {
    this.bytesProcessed.inc({ step: 'ingested' }, bytes);
    if (scanned) this.bytesProcessed.inc({ step: 'scanned' }, bytes);
  }

  scanned(verdict: ScanVerdict): void {
    this.scanVerdicts.inc({ verdict });
  }

  webhookAttempt(outcome: AttemptOutcome): void {
    this.webhookAttempts.inc({ outcome });
  }

  /** The upload just ended; a ready one also adds how long it took since its bytes were complete. */
  uploadFinished(upload: Pick<Upload, 'completedAt' | 'kind'>, status: FinishedStatus, now = new Date()): void {
    const kind: MediaKind | 'unknown' = upload.kind ?? 'unknown';
    this.uploadsFinished.inc({ status, kind });
    if (status !== 'ready' || !upload.completedAt) return;
    this.uploadProcessing.observe({ kind }, Math.max(0, (now.getTime() - upload.completedAt.getTime()) / 1000));
  }
}
