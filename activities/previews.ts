import { Context } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { storyboardCues, storyboardLayout, storyboardVtt } from '../src/media/storyboard';
import type { ActivityDeps } from './deps';
import { buildingGeneration } from '../src/database/entities/upload.entity';
import { about, activityLog, publishOutput, rejectUnreadableMedia, type LocalStepInput, uploadEnded, withLocalCopy } from './support';

/** What a step on the local copy may leave out (the tenant's policy); absent: everything. */
export interface PreviewStepInput extends LocalStepInput {
  outputs?: ReadonlyArray<string>;
}

/** Whether the tenant's policy wants output `name` (absent `outputs`: everything). */
export const wanted = (input: PreviewStepInput, name: string) => !input.outputs || input.outputs.includes(name);

/** Long side of a video's `poster`: a frame shown before playback, so as large as the web rendition. */
const POSTER_MAX_DIMENSION = 1280;

/**
 * A video's previews from the worker's local copy: `poster` and `thumbnail` from one representative
 * frame (not black, not uniform, not simply the first), and a `storyboard` sprite sheet covering
 * the whole duration (its grid is in the upload's metadata) with its `storyboard_vtt`.
 */
export function previewActivities(deps: ActivityDeps) {
  const { uploads, images, posters, storyboards, sessions, config } = deps;
  return {
    async createPoster(input: PreviewStepInput): Promise<void> {
      const { uploadId } = input;
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'thumbnailing');
      await withLocalCopy(sessions, input, async ({ dir, sourcePath }) => {
        const still = join(dir, 'poster-frame.png');
        const picked = await posters
          .pickFrame(sourcePath, still, {
            type: upload.detectedType!,
            durationSeconds: durationOf(upload.metadata),
            signal: Context.current().cancellationSignal,
          })
          .catch(rejectUnreadableMedia);
        const renditions = [
          { name: 'poster', maxDimension: POSTER_MAX_DIMENSION, quality: 80 },
          { name: 'thumbnail', maxDimension: config.THUMBNAIL_SIZE, quality: 75 },
        ].filter((r) => wanted(input, r.name));
        for (const { name, maxDimension, quality } of renditions) {
          const output = join(dir, `${name}.webp`);
          const rendered = await images.renderWebp(still, output, { type: 'image/png', maxDimension, quality }).catch(rejectUnreadableMedia);
          await publishOutput(deps, upload, output, { name, file: `${name}.webp`, contentType: 'image/webp', ...rendered });
        }
        activityLog().info('poster frame picked', { ...about(upload), ...picked });
      });
    },

    async createStoryboard(input: PreviewStepInput): Promise<void> {
      const { uploadId } = input;
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      const duration = durationOf(upload.metadata);
      const width = Number(upload.metadata?.displayWidth ?? upload.metadata?.width ?? 0);
      const height = Number(upload.metadata?.displayHeight ?? upload.metadata?.height ?? 0);
      // Nothing to lay out (no duration or size known): no storyboard, not an error.
      if (!duration || !width || !height) return;
      const layout = storyboardLayout(duration, { width, height });
      let progress = 0;
      await withLocalCopy(
        sessions,
        input,
        async ({ dir, sourcePath }) => {
          const output = join(dir, 'storyboard.jpg');
          await storyboards
            .renderSheet(sourcePath, output, layout, {
              type: upload.detectedType!,
              durationSeconds: duration,
              signal: ctx.cancellationSignal,
              onProgress: (p) => (progress = p),
            })
            .catch(rejectUnreadableMedia);
          const { size } = await stat(output);
          await publishOutput(deps, upload, output, {
            name: 'storyboard',
            file: 'storyboard.jpg',
            contentType: 'image/jpeg',
            size,
            width: layout.sheetWidth,
            height: layout.sheetHeight,
          });
          await uploads.setMetadata(uploadId, { ...upload.metadata, storyboard: layout });
          // The WebVTT players read the sheet through: the API builds it from the grid (its link to
          // the sheet must be fresh), so the row only names the sheet it maps.
          const generation = buildingGeneration(upload);
          const sheet = (await uploads.listOutputs(uploadId, generation)).find((o) => o.name === 'storyboard');
          if (sheet) {
            const { written } = await uploads.upsertOutput(uploadId, {
              generation,
              name: 'storyboard_vtt',
              objectKey: sheet.objectKey,
              contentType: 'text/vtt',
              size: storyboardVtt(storyboardCues(duration, layout), sheet.objectKey).length,
              width: null,
              height: null,
            });
            if (!written) throw uploadEnded(uploadId);
          }
          activityLog().info('storyboard rendered', { ...about(upload), tiles: layout.tiles, intervalSeconds: layout.intervalSeconds });
        },
        () => ({ progress }),
      );
    },
  };
}

/** The duration readAv recorded, if any. */
export function durationOf(metadata: Record<string, unknown> | null): number | null {
  const value = Number(metadata?.durationSeconds);
  return Number.isFinite(value) && value > 0 ? value : null;
}
