import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import type { ActivityDeps, createActivities } from '../../activities';
import { runActivity } from './activity-env';
import type { AppConfig } from '../../src/config/config';
import { createDataSource } from '../../src/database/data-source';
import type { Upload } from '../../src/database/entities/upload.entity';
import { AudioRenditions } from '../../src/media/audio-renditions';
import { ImageProcessor } from '../../src/media/image-processor';
import { PosterFramePicker } from '../../src/media/poster-frame';
import { StoryboardRenderer } from '../../src/media/storyboard';
import { Mp4Joiner } from '../../src/media/mp4-join';
import { SegmentEncoder } from '../../src/media/segment-encoder';
import { VideoSegmenter } from '../../src/media/video-segments';
import { VideoPieceStore } from '../../src/uploads/video-piece-store';
import { MetadataReader } from '../../src/media/metadata-reader';
import { TypeSniffer } from '../../src/media/type-sniffer';
import { VideoTranscoder } from '../../src/media/video-transcoder';
import { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { objectKeys } from '../../src/storage/object-keys';
import { ObjectStorage } from '../../src/storage/object-storage';
import { UploadReruns } from '../../src/admin/upload-reruns';
import { OutputGenerations } from '../../src/uploads/output-generations';
import { TenantStore } from '../../src/tenants/tenant-store';
import { UploadStore } from '../../src/uploads/upload-store';
import { OutputLinks } from '../../src/outputs/output-links';
import { DeliveryAttempts } from '../../src/webhooks/delivery-attempts';
import { WebhookDeliveryStore } from '../../src/webhooks/delivery-store';
import { WebhookEndpointStore } from '../../src/webhooks/endpoint-store';
import { WebhookPublisher } from '../../src/webhooks/event-publisher';
import { WorkspaceSessions } from '../../src/workspaces/workspace-sessions';
import { testConfig } from './stack';

export interface RealDeps extends ActivityDeps {
  config: AppConfig;
  dataSource: DataSource;
  tenants: TenantStore;
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  links: OutputLinks;
  /** Starts webhook delivery workflows (on the stack's Temporal server). */
  temporal: Client;
  close(): Promise<void>;
}

/** The activities' dependencies, wired to the real services of the test stack. */
export async function realDeps(overrides: Record<string, string> = {}): Promise<RealDeps> {
  const config = testConfig({ WORK_DIR: '/tmp/intake-test-work', ...overrides });
  const dataSource = await createDataSource(config.DATABASE_URL, 4).initialize();
  await dataSource.runMigrations();
  const storage = new ObjectStorage(config);
  const metadata = new MetadataReader({
    exiftoolPath: config.EXIFTOOL_PATH,
    ffprobePath: config.FFPROBE_PATH,
    maxInputPixels: config.MAX_IMAGE_PIXELS,
  });
  const uploads = new UploadStore(dataSource);
  const endpoints = new WebhookEndpointStore(dataSource);
  const deliveries = new WebhookDeliveryStore(dataSource);
  const links = new OutputLinks(storage, config);
  const tenants = new TenantStore(dataSource);
  const temporal = new Client({ connection: Connection.lazy({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });
  return {
    config,
    dataSource,
    uploads,
    tenants,
    endpoints,
    deliveries,
    temporal,
    storage,
    sniffer: new TypeSniffer(),
    scanner: new ClamdScanner({ host: config.CLAMD_HOST, port: config.CLAMD_PORT, timeoutMs: 30_000 }),
    metadata,
    images: new ImageProcessor({ maxInputPixels: config.MAX_IMAGE_PIXELS }),
    videos: new VideoTranscoder({ ffmpegPath: config.FFMPEG_PATH, maxDimension: config.VIDEO_MAX_DIMENSION }),
    posters: new PosterFramePicker({ ffmpegPath: config.FFMPEG_PATH }),
    storyboards: new StoryboardRenderer({ ffmpegPath: config.FFMPEG_PATH }),
    audio: new AudioRenditions({ ffmpegPath: config.FFMPEG_PATH }),
    segmenter: new VideoSegmenter({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH }),
    encoder: new SegmentEncoder({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH }),
    joiner: new Mp4Joiner({ ffmpegPath: config.FFMPEG_PATH }),
    pieces: new VideoPieceStore(dataSource),
    links,
    webhookEvents: new WebhookPublisher(uploads, links, deliveries, temporal, config),
    deliveryAttempts: new DeliveryAttempts(deliveries, links, config),
    generations: new OutputGenerations(dataSource),
    reruns: new UploadReruns(dataSource, tenants, temporal),
    sessions: testSessions(config.WORK_DIR),
    async close() {
      await temporal.connection.close();
      await metadata.close();
      storage.destroy();
      await dataSource.destroy();
    },
  };
}

/** A worker's workspace sessions; `workerId` names its own queue. Slots are plenty: specs hold sessions open. */
export function testSessions(workDir: string, workerId = `test-${randomUUID()}`): WorkspaceSessions {
  return new WorkspaceSessions({ workDir, workerId, slots: { uploads: 64, transcode: 64, backfill: 64 }, idleMs: 3600_000 });
}

export interface Seeded {
  upload: Upload;
  tenantId: string;
  /** The tenant's endpoint's secret, when `webhookUrl` was given. */
  webhookSecret: string | null;
  /** The ETag of the object at the incoming key, as `complete` records it (undefined without a body). */
  etag: string | undefined;
}

/**
 * A tenant and an upload row as the API would create them; `body` (bytes or a file path) is put
 * at the upload's key, `declaredSize` defaults to its real size.
 */
export async function seedUpload(
  deps: RealDeps,
  opts: { contentType: string; body?: Buffer | string; declaredSize?: number; webhookUrl?: string },
): Promise<Seeded> {
  const tenantId = randomUUID();
  await deps.tenants.create({ id: tenantId, name: 'integration' });
  const endpoint = opts.webhookUrl ? await deps.endpoints.create(tenantId, { url: opts.webhookUrl }) : null;
  const webhookSecret = endpoint?.secret ?? null;
  const bytes = typeof opts.body === 'string' ? await readFile(opts.body) : opts.body;
  const id = randomUUID();
  const incoming = objectKeys.incoming(tenantId, id);
  if (bytes) await deps.storage.putBuffer(incoming, bytes, opts.contentType);
  const etag = bytes ? (await deps.storage.head(incoming))?.etag : undefined;
  const upload = await deps.uploads.create({
    id,
    tenantId,
    filename: 'file',
    contentType: opts.contentType,
    size: opts.declaredSize ?? bytes?.length ?? 1,
    maxSize: Number.MAX_SAFE_INTEGER,
    status: 'processing',
    stage: 'verifying',
    expiresAt: new Date(Date.now() + 3600_000),
  });
  return { upload, tenantId, webhookSecret, etag };
}

/**
 * An upload taken as far as a worker's local copy: seeded, verified (the original is in place) and
 * ingested (downloaded, hashed, scanned clean) through the real activities.
 */
export async function ingestedUpload(
  deps: RealDeps,
  acts: ReturnType<typeof createActivities>,
  opts: { contentType: string; body: Buffer | string },
): Promise<Seeded> {
  const seeded = await seedUpload(deps, opts);
  await runActivity(acts.verifyUpload, { uploadId: seeded.upload.id, etag: seeded.etag! });
  await runActivity(acts.ingestOriginal, { uploadId: seeded.upload.id });
  return { ...seeded, upload: await deps.uploads.get(seeded.upload.id) };
}
