import { join } from 'node:path';
import type { ActivityDeps } from './deps';
import { about, activityLog, publishOutput, rejectUnreadableImage, withWorkspace } from './support';

/** Step 5: a WebP `thumbnail` (long side THUMBNAIL_SIZE) from the image, or a frame of the video. */
export function thumbnailActivities(deps: ActivityDeps) {
  const { uploads, storage, images, videos, config } = deps;
  return {
    async createThumbnail({ uploadId }: { uploadId: string }): Promise<void> {
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'thumbnailing');
      await withWorkspace(config.WORK_DIR, upload, async (dir) => {
        const source = join(dir, 'source');
        const output = join(dir, 'thumbnail.webp');
        await storage.download(upload.objectKey, source);
        let still = source;
        if (upload.kind === 'video') {
          const duration = Number(upload.metadata?.durationSeconds ?? 0);
          still = join(dir, 'frame.png');
          await videos.extractFrame(source, still, Math.min(1, duration / 10));
        }
        const rendered = await images.renderWebp(still, output, config.THUMBNAIL_SIZE, 75).catch(rejectUnreadableImage);
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
