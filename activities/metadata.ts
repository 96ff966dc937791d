import { assertVideoWithinLimits, videoLimitsFrom } from '../src/media/video-limits';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejectUnreadableMedia, type LocalStepInput, withLocalCopy } from './support';

/** Step 3: EXIF (GPS included, kept in the database only) for images, ffprobe for audio and video. */
export function metadataActivities({ uploads, metadata, sessions, config }: ActivityDeps) {
  return {
    async extractMetadata(input: LocalStepInput): Promise<void> {
      const { uploadId } = input;
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'extracting_metadata');
      const kind = upload.kind;
      if (kind !== 'image' && kind !== 'video' && kind !== 'audio') return;

      const extracted = await withLocalCopy(sessions, input, async ({ sourcePath }) => {
        try {
          const type = upload.detectedType!;
          if (kind === 'image') return await metadata.readImage(sourcePath, type);
          const av = await metadata.readAv(sourcePath, type);
          // Refused here, before anything decodes a frame of it (the later steps read these same bytes).
          if (kind === 'video') assertVideoWithinLimits(av, videoLimitsFrom(config));
          return av;
        } catch (err) {
          // The readers type what is the file's fault; a tool that cannot run is retried, never blamed on the file.
          rejectUnreadableMedia(err);
        }
      });
      await uploads.setMetadata(uploadId, { ...extracted });
      activityLog().info('metadata extracted', about(upload));
    },
  };
}
