import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, CONFIG } from '../config/config';
import { ClamdScanner } from '../scanning/clamd-scanner';
import { AudioRenditions } from './audio-renditions';
import { ImageProcessor } from './image-processor';
import { MetadataReader } from './metadata-reader';
import { PosterFramePicker } from './poster-frame';
import { StoryboardRenderer } from './storyboard';
import { TypeSniffer } from './type-sniffer';
import { VideoTranscoder } from './video-transcoder';
import { Mp4Joiner } from './mp4-join';
import { SegmentEncoder } from './segment-encoder';
import { VideoSegmenter } from './video-segments';

/** The external tools the pipeline drives, each behind one class, built from the validated config. */
@Global()
@Module({
  providers: [
    { provide: TypeSniffer, useFactory: () => new TypeSniffer() },
    {
      provide: ClamdScanner,
      inject: [CONFIG],
      useFactory: (c: AppConfig) => new ClamdScanner({ host: c.CLAMD_HOST, port: c.CLAMD_PORT, timeoutMs: c.CLAMD_TIMEOUT_MS }),
    },
    {
      provide: MetadataReader,
      inject: [CONFIG],
      useFactory: (c: AppConfig) => new MetadataReader({
          exiftoolPath: c.EXIFTOOL_PATH,
          ffprobePath: c.FFPROBE_PATH,
          maxInputPixels: c.MAX_IMAGE_PIXELS,
        }),
    },
    {
      provide: ImageProcessor,
      inject: [CONFIG],
      useFactory: (c: AppConfig) => new ImageProcessor({ maxInputPixels: c.MAX_IMAGE_PIXELS }),
    },
    {
      provide: VideoTranscoder,
      inject: [CONFIG],
      useFactory: (c: AppConfig) => new VideoTranscoder({ ffmpegPath: c.FFMPEG_PATH, maxDimension: c.VIDEO_MAX_DIMENSION }),
    },
    { provide: PosterFramePicker, inject: [CONFIG], useFactory: (c: AppConfig) => new PosterFramePicker({ ffmpegPath: c.FFMPEG_PATH }) },
    { provide: StoryboardRenderer, inject: [CONFIG], useFactory: (c: AppConfig) => new StoryboardRenderer({ ffmpegPath: c.FFMPEG_PATH }) },
    {
      provide: VideoSegmenter,
      inject: [CONFIG],
      useFactory: (c: AppConfig) => new VideoSegmenter({ ffmpegPath: c.FFMPEG_PATH, ffprobePath: c.FFPROBE_PATH }),
    },
    {
      provide: SegmentEncoder,
      inject: [CONFIG],
      useFactory: (c: AppConfig) => new SegmentEncoder({ ffmpegPath: c.FFMPEG_PATH, ffprobePath: c.FFPROBE_PATH }),
    },
    { provide: Mp4Joiner, inject: [CONFIG], useFactory: (c: AppConfig) => new Mp4Joiner({ ffmpegPath: c.FFMPEG_PATH }) },
    { provide: AudioRenditions, inject: [CONFIG], useFactory: (c: AppConfig) => new AudioRenditions({ ffmpegPath: c.FFMPEG_PATH }) },
  ],
  exports: [
    TypeSniffer,
    ClamdScanner,
    MetadataReader,
    ImageProcessor,
    VideoTranscoder,
    PosterFramePicker,
    StoryboardRenderer,
    AudioRenditions,
    VideoSegmenter,
    SegmentEncoder,
    Mp4Joiner,
  ],
})
export class MediaModule implements OnApplicationShutdown {
  constructor(@Inject(MetadataReader) private readonly metadata: MetadataReader) {}

  async onApplicationShutdown() {
    await this.metadata.close();
  }
}
