import { Context } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../src/common/errors';
import { CorruptVideoError } from '../src/media/video-transcoder';
import type { ActivityDeps } from './deps';
import { about, activityLog, publishOutput, rejectUnreadableImage, rejection, withWorkspace } from './support';

/** The main rendition is always called "optimized": WebP for images, H.264/AAC MP4 for video. */
export const OPTIMIZED = 'optimized';

/** Step 4: compress images, transcode video. Outputs go to deterministic keys and are upserted. */
export function processActivities(deps: ActivityDeps) {
  const { uploads, storage, images, videos, metadata, config } = deps;
  return {
    async processImage({ uploadId }: { uploadId: string }): Promise<void> {
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'processing');
      await withWorkspace(config.WORK_DIR, upload, async (dir) => {
        const source = join(dir, 'source');
        const output = join(dir, 'optimized.webp');
        await storage.download(upload.objectKey, source);
        const rendered = await images.renderWebp(source, output, config.IMAGE_MAX_DIMENSION).catch(rejectUnreadableImage);
        await publishOutput(deps, upload, output, {
          name: OPTIMIZED,
          file: 'optimized.webp',
          contentType: 'image/webp',
          ...rendered,
        });
        activityLog().info('image optimized', { ...about(upload), ...rendered });
      });
    },

    /**
     * Runs on the transcode task queue. Heartbeats progress (also written to the database for the
     * status API); if this worker dies, heartbeats stop and Temporal hands the job to another worker,
     * which starts the rendition again and overwrites the same key.
     */
    async transcodeVideo({ uploadId }: { uploadId: string }): Promise<void> {
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'processing', 0);
      let percent = 0;
      let lastSaved = -1;
      const beat = setInterval(() => ctx.heartbeat({ percent }), 2000);
      try {
        await withWorkspace(config.WORK_DIR, upload, async (dir) => {
          const source = join(dir, 'source');
          const output = join(dir, 'optimized.mp4');
          await storage.download(upload.objectKey, source);
          ctx.heartbeat({ percent });
          await videos
            .transcodeMp4(source, output, {
              signal: ctx.cancellationSignal,
              onProgress: (p) => {
                percent = Math.floor(p);
                ctx.heartbeat({ percent });
                if (percent >= lastSaved + 5) {
                  lastSaved = percent;
                  void uploads.setProgress(uploadId, percent).catch(() => undefined);
                }
              },
            })
            .catch((err) => {
              if (err instanceof CorruptVideoError) throw rejection(ErrorCode.CORRUPT_MEDIA, err.message);
              throw err;
            });
          const probed = await metadata.readAv(output, 'video');
          const { size } = await stat(output);
          await publishOutput(deps, upload, output, {
            name: OPTIMIZED,
            file: 'optimized.mp4',
            contentType: 'video/mp4',
            size,
            width: probed.width,
            height: probed.height,
          });
          activityLog().info('video transcoded', { ...about(upload), size, attempt: ctx.info.attempt });
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}
