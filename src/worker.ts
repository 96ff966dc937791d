import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { Activities, SESSION_ACTIVITIES, TRANSCODE_ACTIVITIES, WEBHOOK_ACTIVITIES, createActivities } from '../activities';
import { sweepIdleWorkspaces } from './workspaces/sweep';
import { UploadReruns } from './admin/upload-reruns';
import { OutputGenerations } from './uploads/output-generations';
import { TASK_QUEUES } from '../workflows/contract';
import { AppConfig, loadConfig } from './config/config';
import { NestPinoLogger, createLogger } from './common/logger';
import { AudioRenditions } from './media/audio-renditions';
import { ImageProcessor } from './media/image-processor';
import { PosterFramePicker } from './media/poster-frame';
import { StoryboardRenderer } from './media/storyboard';
import { Mp4Joiner } from './media/mp4-join';
import { SegmentEncoder } from './media/segment-encoder';
import { VideoSegmenter } from './media/video-segments';
import { VideoPieceStore } from './uploads/video-piece-store';
import { MetadataReader } from './media/metadata-reader';
import { TypeSniffer } from './media/type-sniffer';
import { VideoTranscoder } from './media/video-transcoder';
import { ClamdScanner, ClamdUnavailableError } from './scanning/clamd-scanner';
import { ObjectStorage } from './storage/object-storage';
import { installTemporalRuntime } from './temporal/runtime-logger';
import { startWorkerEndpoints } from './observability/health/worker-endpoints';
import { activityMetricsInterceptor } from './observability/metrics/activity-metrics.interceptor';
import { WORKER_METRICS } from './observability/metrics/metrics.tokens';
import type { WorkerMetrics } from './observability/metrics/worker-metrics';
import { workflowSource } from './temporal/workflow-bundle';
import { TRACING } from './observability/tracing/tracing.module';
import { tracingWorkerParts } from './observability/tracing/temporal-tracing';
import { UploadStore } from './uploads/upload-store';
import { DeliveryAttempts } from './webhooks/delivery-attempts';
import { WebhookPublisher } from './webhooks/event-publisher';
import { WorkerModule } from './worker.module';
import { WorkspaceRole, WorkspaceSessions } from './workspaces/workspace-sessions';

/** Scratch directories idle this long belong to no live activity (transcodes write continuously). */
const WORKSPACE_MAX_IDLE_MS = 60 * 60 * 1000;
/** clamd unreachable at start is retried this many times, 2 s apart, before the worker gives up. */
const CLAMD_START_ATTEMPTS = 30;
/** A session no step has used for this long was abandoned by its workflow (e.g. terminated). */
const SESSION_MAX_IDLE_MS = 15 * 60 * 1000;

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  installTemporalRuntime(logger, config.LOG_LEVEL, config.TEMPORAL_METRICS_PORT ? `${config.HOST}:${config.TEMPORAL_METRICS_PORT}` : undefined);

  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new NestPinoLogger(logger),
  });
  const metrics = app.get<WorkerMetrics | null>(WORKER_METRICS);
  const workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const slots: Record<WorkspaceRole, number> = {
    uploads: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    transcode: config.WORKER_MAX_CONCURRENT_TRANSCODES,
    backfill: config.WORKER_MAX_CONCURRENT_BACKFILL,
  };
  const sessions = new WorkspaceSessions({ workDir: config.WORK_DIR, workerId, slots, idleMs: SESSION_MAX_IDLE_MS });
  const activities = createActivities({
    config,
    uploads: app.get(UploadStore),
    storage: app.get(ObjectStorage),
    sniffer: app.get(TypeSniffer),
    scanner: app.get(ClamdScanner),
    metadata: app.get(MetadataReader),
    images: app.get(ImageProcessor),
    videos: app.get(VideoTranscoder),
    posters: app.get(PosterFramePicker),
    storyboards: app.get(StoryboardRenderer),
    audio: app.get(AudioRenditions),
    segmenter: app.get(VideoSegmenter),
    encoder: app.get(SegmentEncoder),
    joiner: app.get(Mp4Joiner),
    pieces: app.get(VideoPieceStore),
    webhookEvents: app.get(WebhookPublisher),
    deliveryAttempts: app.get(DeliveryAttempts),
    generations: app.get(OutputGenerations),
    reruns: app.get(UploadReruns),
    sessions,
    metrics,
  });
  const sessionSteps = pick(activities, SESSION_ACTIVITIES);
  const { ingestOriginal } = activities;
  const webhookSteps = pick(activities, WEBHOOK_ACTIVITIES);
  const transcodeSteps = pick(activities, TRANSCODE_ACTIVITIES);
  const sharedSteps = omit(activities, [...SESSION_ACTIVITIES, ...WEBHOOK_ACTIVITIES, ...TRANSCODE_ACTIVITIES, 'ingestOriginal']);

  // A clamd without body signatures or limit alerts would pass what it cannot judge: refuse to start.
  const clamd = await selfTestScanner(app.get(ClamdScanner), config, logger);
  logger.info({ clamd: clamd.version }, 'clamd self-test passed');

  const swept = await sweepIdleWorkspaces(config.WORK_DIR, WORKSPACE_MAX_IDLE_MS);
  if (swept.length) logger.info({ workDir: config.WORK_DIR, removed: swept.length }, 'removed idle scratch directories');
  const reaper = setInterval(() => {
    const reaped = sessions.reapIdle();
    if (reaped.length) logger.warn({ uploadIds: reaped }, 'released abandoned workspaces');
  }, 60_000);

  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const tracing = tracingWorkerParts(app.get(TRACING));
  const activityInterceptors = [...(metrics ? [activityMetricsInterceptor(metrics)] : []), ...tracing.activity];
  const common = {
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    shutdownGraceTime: '20s',
    interceptors: { activity: activityInterceptors },
    sinks: tracing.sinks,
  } as const;
  // Bundled once, for the queues that run workflows (transcode and backfill workers run none).
  const workflows = config.WORKER_QUEUES.some((q) => q === 'uploads' || q === 'webhooks') ? await workflowSource(config) : {};
  const workers: Worker[] = [];
  // Per role: the shared queue, where any worker may take an upload on (ingestOriginal), and this
  // worker's own queue, where the steps on its local copies run. Sessions are bounded by the same
  // slot count as the own queue's concurrency, so a step there never waits for a slot.
  for (const role of config.WORKER_QUEUES) {
    if (role === 'webhooks') {
      // Delivery workflows and attempts: no local copies, no media tools, just waiting on consumers.
      workers.push(
        await Worker.create({
          ...common,
          taskQueue: TASK_QUEUES.webhooks,
          ...workflows,
          activities: webhookSteps,
          maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_DELIVERIES,
        }),
      );
      continue;
    }
    if (role === 'transcode') {
      // Segments of any video, one per transcode slot (see TASK_QUEUES.segments).
      workers.push(
        await Worker.create({
          ...common,
          taskQueue: TASK_QUEUES.segments,
          activities: transcodeSteps,
          maxConcurrentActivityTaskExecutions: slots.transcode,
        }),
      );
    }
    const shared = TASK_QUEUES[role];
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: shared,
        ...(role === 'uploads' ? { ...workflows, activities: { ...sharedSteps, ingestOriginal } } : {}),
        ...(role === 'transcode' || role === 'backfill' ? { activities: { ingestOriginal } } : {}),
        // Room for ingests waiting on a workspace besides the short steps (verify, webhooks).
        maxConcurrentActivityTaskExecutions: slots[role] * 2 + (role === 'uploads' ? 2 : 0),
      }),
      await Worker.create({
        ...common,
        taskQueue: sessions.localQueue(shared),
        activities: sessionSteps,
        maxConcurrentActivityTaskExecutions: slots[role],
      }),
    );
  }

  const endpoints = await startWorkerEndpoints({ config, connection, workers, metrics, logger });
  logger.info({ queues: config.WORKER_QUEUES, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
  // The SDK drains every worker on SIGINT/SIGTERM; run() resolves once they have stopped.
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    clearInterval(reaper);
    await endpoints.close();
    await sessions.closeAll();
    await connection.close();
    await app.close();
    logger.info('worker stopped');
  }
}

/** clamd may still be loading its database when the worker starts: retry being unreachable for a while. */
async function selfTestScanner(scanner: ClamdScanner, config: AppConfig, logger: Logger) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await scanner.selfTest({ streamBytes: config.SCAN_MAX_BYTES });
    } catch (err) {
      if (!(err instanceof ClamdUnavailableError) || attempt >= CLAMD_START_ATTEMPTS) throw err;
      logger.warn({ attempt, err: err.message }, 'clamd not reachable yet; retrying its self-test');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

function pick<K extends keyof Activities>(all: Activities, names: readonly K[]): Pick<Activities, K> {
  return Object.fromEntries(names.map((name) => [name, all[name]])) as Pick<Activities, K>;
}

function omit(all: Activities, names: ReadonlyArray<keyof Activities>): Partial<Activities> {
  return Object.fromEntries(Object.entries(all).filter(([name]) => !names.includes(name as keyof Activities)));
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
