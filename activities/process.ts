import { Context } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityDeps } from './deps';
import { about, activityLog, publishOutput, rejectUnreadableMedia, type LocalStepInput, withLocalCopy } from './support';

/** The main rendition is always called "optimized": WebP for images, H.264/AAC MP4 for video. */
export const OPTIMIZED = 'optimized';

/** Step 4: compress images, transcode video, from the worker's local copy of the original. */
export function processActivities(deps: ActivityDeps) {
  const { uploads, images, videos, metadata, sessions, config } = deps;
  return {
    async processImage(input: LocalStepInput): Promise<void> {
      const { uploadId } = input;
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'processing');
      await withLocalCopy(sessions, input, async ({ dir, sourcePath }) => {
        const output = join(dir, 'optimized.webp');
        const rendered = await images
          .renderWebp(sourcePath, output, { type: upload.detectedType!, maxDimension: config.IMAGE_MAX_DIMENSION })
          .catch(rejectUnreadableMedia);
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
     * Runs on the worker that holds the local copy (its transcode queue). Heartbeats progress, also
     * written to the database for the status API. If this worker dies, heartbeats stop; the workflow
     * then has another worker take the upload from the original again.
     */
    async transcodeVideo(input: LocalStepInput): Promise<void> {
      const { uploadId } = input;
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'processing', 0);
      let percent = 0;
      let lastSaved = -1;
      await withLocalCopy(
        sessions,
        input,
        async ({ dir, sourcePath }) => {
          const output = join(dir, 'optimized.mp4');
          ctx.heartbeat({ percent });
          await videos
            .transcodeMp4(sourcePath, output, {
              type: upload.detectedType!,
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
            .catch(rejectUnreadableMedia);
          const probed = await metadata.readAv(output, 'video/mp4', { signal: ctx.cancellationSignal });
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
        },
        () => ({ percent }),
      );
    },
  };
}
