import { Context } from '@temporalio/activity';
import { join } from 'node:path';
import type { ActivityDeps } from './deps';
import { about, activityLog, publishOutput, rejectUnreadableMedia, type LocalStepInput, withLocalCopy } from './support';

/** Step 5: a WebP `thumbnail` (long side THUMBNAIL_SIZE) from the image, or a frame of the video. */
export function thumbnailActivities(deps: ActivityDeps) {
  const { uploads, images, videos, sessions, config } = deps;
  return {
    async createThumbnail(input: LocalStepInput): Promise<void> {
      const { uploadId } = input;
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'thumbnailing');
      await withLocalCopy(sessions, input, async ({ dir, sourcePath }) => {
        const output = join(dir, 'thumbnail.webp');
        let still = sourcePath;
        if (upload.kind === 'video') {
          const duration = Number(upload.metadata?.durationSeconds ?? 0);
          still = join(dir, 'frame.png');
          await videos
            .extractFrame(sourcePath, still, {
              type: upload.detectedType!,
              atSeconds: Math.min(1, duration / 10),
              signal: Context.current().cancellationSignal,
            })
            .catch(rejectUnreadableMedia);
        }
        const stillType = upload.kind === 'video' ? 'image/png' : upload.detectedType!;
        const rendered = await images
          .renderWebp(still, output, { type: stillType, maxDimension: config.THUMBNAIL_SIZE, quality: 75 })
          .catch(rejectUnreadableMedia);
        await publishOutput(deps, upload, output, {
          name: 'thumbnail',
          file: 'thumbnail.webp',
          contentType: 'image/webp',
          ...rendered,
        });
        activityLog().info('thumbnail created', { ...about(upload), ...rendered });
      });
    },
  };
}
