import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createActivities } from '../activities';
import { sweepIdleWorkspaces } from '../activities/workspaces';
import { TASK_QUEUES } from '../workflows/contract';
import { AppConfig, loadConfig } from './config/config';
import { NestPinoLogger, createLogger } from './common/logger';
import { ImageProcessor } from './media/image-processor';
import { MetadataReader } from './media/metadata-reader';
import { TypeSniffer } from './media/type-sniffer';
import { VideoTranscoder } from './media/video-transcoder';
import { ClamdScanner } from './scanning/clamd-scanner';
import { ObjectStorage } from './storage/object-storage';
import { installTemporalRuntime } from './temporal/runtime-logger';
import { TenantStore } from './tenants/tenant-store';
import { UploadStore } from './uploads/upload-store';
import { WebhookSender } from './webhooks/webhook-sender';
import { WorkerModule } from './worker.module';

/** Scratch directories idle this long belong to no live activity (transcodes write continuously). */
const WORKSPACE_MAX_IDLE_MS = 60 * 60 * 1000;

/** Production loads the bundle built by `npm run build`; without it the worker bundles at start. */
function workflowSource(config: AppConfig): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = config.WORKFLOW_BUNDLE_PATH ?? join(__dirname, '..', 'workflow-bundle.js');
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: require.resolve('../workflows') };
}

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  installTemporalRuntime(logger, config.LOG_LEVEL);

  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new NestPinoLogger(logger),
  });
  const activities = createActivities({
    config,
    uploads: app.get(UploadStore),
    tenants: app.get(TenantStore),
    storage: app.get(ObjectStorage),
    sniffer: app.get(TypeSniffer),
    scanner: app.get(ClamdScanner),
    metadata: app.get(MetadataReader),
    images: app.get(ImageProcessor),
    videos: app.get(VideoTranscoder),
    webhooks: app.get(WebhookSender),
  });

  const swept = await sweepIdleWorkspaces(config.WORK_DIR, WORKSPACE_MAX_IDLE_MS);
  if (swept.length) logger.info({ workDir: config.WORK_DIR, removed: swept.length }, 'removed idle scratch directories');

  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const common = { connection, namespace: config.TEMPORAL_NAMESPACE, shutdownGraceTime: '20s' } as const;
  const workers: Worker[] = [];
  if (config.WORKER_QUEUES.includes('uploads')) {
    const { transcodeVideo: _ownQueue, ...uploadActivities } = activities;
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: TASK_QUEUES.uploads,
        ...workflowSource(config),
        activities: uploadActivities,
        maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      }),
    );
  }
  if (config.WORKER_QUEUES.includes('transcode')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: TASK_QUEUES.transcode,
        activities: { transcodeVideo: activities.transcodeVideo },
        maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_TRANSCODES,
      }),
    );
  }

  logger.info({ queues: config.WORKER_QUEUES, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
  // The SDK drains every worker on SIGINT/SIGTERM; run() resolves once they have stopped.
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
    await app.close();
    logger.info('worker stopped');
  }
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
