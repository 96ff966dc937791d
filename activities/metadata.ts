import { ErrorCode } from '../src/common/errors';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejection, withWorkspace } from './support';
import { join } from 'node:path';

/** Step 3: EXIF (GPS included, kept in the database only) for images, ffprobe for audio and video. */
export function metadataActivities({ uploads, storage, metadata, config }: ActivityDeps) {
  return {
    async extractMetadata({ uploadId }: { uploadId: string }): Promise<void> {
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'extracting_metadata');
      const kind = upload.kind;
      if (kind !== 'image' && kind !== 'video' && kind !== 'audio') return;

      const extracted = await withWorkspace(config.WORK_DIR, upload, async (dir) => {
        const source = join(dir, 'source');
        await storage.download(upload.objectKey, source);
        try {
          return kind === 'image' ? await metadata.readImage(source) : await metadata.readAv(source, kind);
        } catch (err) {
          // The bytes passed type sniffing but the tools cannot parse them: a broken file.
          throw rejection(ErrorCode.CORRUPT_MEDIA, `Cannot read ${kind} metadata: ${(err as Error).message}`);
        }
      });
      await uploads.setMetadata(uploadId, { ...extracted });
      activityLog().info('metadata extracted', about(upload));
    },
  };
}
