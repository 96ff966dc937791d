import type { AppConfig } from '../src/config/config';
import type { MetadataReader } from '../src/media/metadata-reader';
import type { AudioRenditions } from '../src/media/audio-renditions';
import type { ImageProcessor } from '../src/media/image-processor';
import type { PosterFramePicker } from '../src/media/poster-frame';
import type { StoryboardRenderer } from '../src/media/storyboard';
import type { Mp4Joiner } from '../src/media/mp4-join';
import type { SegmentEncoder } from '../src/media/segment-encoder';
import type { VideoSegmenter } from '../src/media/video-segments';
import type { VideoPieceStore } from '../src/uploads/video-piece-store';
import type { TypeSniffer } from '../src/media/type-sniffer';
import type { VideoTranscoder } from '../src/media/video-transcoder';
import type { VideoLimitSettings } from '../src/media/video-limits';
import type { ClamdScanner } from '../src/scanning/clamd-scanner';
import type { ObjectStorage } from '../src/storage/object-storage';
import type { UploadReruns } from '../src/admin/upload-reruns';
import type { OutputGenerations } from '../src/uploads/output-generations';
import type { UploadStore } from '../src/uploads/upload-store';
import type { DeliveryAttempts } from '../src/webhooks/delivery-attempts';
import type { WebhookPublisher } from '../src/webhooks/event-publisher';
import type { WorkspaceSessions } from '../src/workspaces/workspace-sessions';
import type { WorkerMetrics } from '../src/observability/metrics/worker-metrics';

/** Everything the activities touch, injected so each can be built against real or test parts. */
export interface ActivityDeps {
  config: Pick<
    AppConfig,
    | 'SCAN_MAX_BYTES'
    | 'IMAGE_MAX_DIMENSION'
    | 'THUMBNAIL_SIZE'
    | 'DOWNLOAD_URL_TTL_SECONDS'
    | 'VIDEO_SEGMENT_SECONDS'
    | 'WORK_DIR'
  > &
    VideoLimitSettings;
  uploads: UploadStore;
  storage: ObjectStorage;
  sniffer: TypeSniffer;
  scanner: ClamdScanner;
  metadata: MetadataReader;
  images: ImageProcessor;
  videos: VideoTranscoder;
  posters: PosterFramePicker;
  storyboards: StoryboardRenderer;
  audio: AudioRenditions;
  /** A segmented transcode: cut at keyframes, encode a segment into every rung, join a rung. */
  segmenter: VideoSegmenter;
  encoder: SegmentEncoder;
  joiner: Mp4Joiner;
  pieces: VideoPieceStore;
  /** Records an upload's change as a webhook event and starts its delivery. */
  webhookEvents: WebhookPublisher;
  deliveryAttempts: DeliveryAttempts;
  /** Admin reruns: the output generations they build and swap, and starting them (a bulk rerun's pages). */
  generations: OutputGenerations;
  reruns: UploadReruns;
  /** This worker's local copies of originals (one read per upload per worker). */
  sessions: WorkspaceSessions;
  /** Scan verdicts, bytes read, processing times; absent (tests) or null (METRICS_ENABLED=false): not counted. */
  metrics?: WorkerMetrics | null;
}
