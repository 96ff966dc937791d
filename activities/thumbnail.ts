import { join } from 'node:path';
import { objectKeys } from '../src/storage/object-keys';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejectUnreadableImage, withWorkspace } from './support';

/** Step 5: a WebP `thumbnail` (long side THUMBNAIL_SIZE) from the image, or a frame of the video. */
export function thumbnailActivities({ uploads, storage, images, videos, config }: ActivityDeps) {
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
        const key = objectKeys.output(upload.tenantId, upload.id, 'thumbnail.webp');
        await storage.uploadFile(key, output, 'image/webp');
        await uploads.upsertOutput(uploadId, {
          name: 'thumbnail',
          objectKey: key,
          contentType: 'image/webp',
          size: rendered.size,
          width: rendered.width,
          height: rendered.height,
        });
        activityLog().info('thumbnail created', { ...about(upload), ...rendered });
      });
    },
  };
}
