import { Context } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityDeps } from './deps';
import { durationOf, type PreviewStepInput, wanted } from './previews';
import { OPTIMIZED } from './process';
import { about, activityLog, publishOutput, rejectUnreadableMedia, withLocalCopy } from './support';

/**
 * An audio upload's renditions from the worker's local copy: `optimized`, AAC in M4A normalised to
 * EBU R128 loudness, and a `waveform` PNG drawn from that normalised audio (a quiet recording
 * would otherwise draw a flat line).
 */
export function audioActivities(deps: ActivityDeps) {
  const { uploads, audio, sessions } = deps;
  return {
    async processAudio(input: PreviewStepInput): Promise<void> {
      const { uploadId } = input;
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'processing', 0);
      let progress = 0;
      await withLocalCopy(
        sessions,
        input,
        async ({ dir, sourcePath }) => {
          const m4a = join(dir, 'optimized.m4a');
          const encoded = await audio
            .encodeM4a(sourcePath, m4a, {
              type: upload.detectedType!,
              sampleRate: Number(upload.metadata?.sampleRate) || null,
              durationSeconds: durationOf(upload.metadata) ?? undefined,
              signal: ctx.cancellationSignal,
              onProgress: (p) => (progress = p),
            })
            .catch(rejectUnreadableMedia);
          if (wanted(input, OPTIMIZED)) {
            const { size } = await stat(m4a);
            await publishOutput(deps, upload, m4a, { name: OPTIMIZED, file: 'optimized.m4a', contentType: 'audio/mp4', size, width: null, height: null });
          }
          if (wanted(input, 'waveform')) {
            const png = join(dir, 'waveform.png');
            const drawn = await audio.renderWaveform(m4a, png, { type: 'audio/mp4', signal: ctx.cancellationSignal });
            const { size } = await stat(png);
            await publishOutput(deps, upload, png, { name: 'waveform', file: 'waveform.png', contentType: 'image/png', size, ...drawn });
          }
          activityLog().info('audio processed', { ...about(upload), normalization: encoded.normalization });
        },
        () => ({ progress }),
      );
    },
  };
}
