import { Context } from '@temporalio/activity';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type LadderRung, ladderFor } from '../src/media/segment-encoder';
import { type PlannedSegment, planSegments } from '../src/media/video-segments';
import { objectKeys } from '../src/storage/object-keys';
import type { ActivityDeps } from './deps';
import { type PreviewStepInput, wanted } from './previews';
import { OPTIMIZED } from './process';
import { buildingGeneration } from '../src/database/entities/upload.entity';
import { about, activityLog, publishOutput, rejectUnreadableMedia, uploadEnded, withLocalCopy } from './support';

/** What splitting decided: the segments (in S3), the ladder, and the rotation the segments lost. */
export interface SegmentPlan {
  segments: PlannedSegment[];
  rungs: LadderRung[];
  rotationDegrees: number;
}

export interface SegmentInput {
  uploadId: string;
  segment: PlannedSegment;
  segmentCount: number;
  rungs: LadderRung[];
  rotationDegrees: number;
}

const HEARTBEAT_MS = 5_000;

/**
 * A durable, parallel transcode. The worker holding the local copy cuts it at keyframes (stream
 * copy) and stores the segments; any transcode worker encodes one segment into every rung of the
 * ladder (a killed worker costs that one segment); the last step joins the top rung into the
 * `optimized` MP4 without re-encoding and records the `hls` ladder the API serves.
 */
export function segmentActivities(deps: ActivityDeps) {
  const { uploads, storage, segmenter, encoder, joiner, pieces, sessions, config } = deps;

  /** A scratch directory for a step off the local copy, removed however the step ends. */
  async function inScratch<T>(uploadId: string, fn: (dir: string) => Promise<T>): Promise<T> {
    await mkdir(config.WORK_DIR, { recursive: true });
    const dir = await mkdtemp(join(config.WORK_DIR, `seg-${uploadId}-`));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    /** The last step on the local copy: probe keyframes, plan, split, store each segment. */
    async splitVideo(input: PreviewStepInput): Promise<SegmentPlan> {
      const { uploadId } = input;
      const signal = Context.current().cancellationSignal;
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'processing', 0);
      return withLocalCopy(sessions, input, async ({ dir, sourcePath }) => {
        const type = upload.detectedType!;
        const probe = await segmenter.probeKeyframes(sourcePath, type, signal).catch(rejectUnreadableMedia);
        const plan = planSegments(probe.keyframes, probe.durationSeconds, config.VIDEO_SEGMENT_SECONDS);
        const outDir = join(dir, 'segments');
        await mkdir(outDir, { recursive: true });
        try {
          const files = await segmenter.splitAtKeyframes(sourcePath, type, plan, outDir, signal).catch(rejectUnreadableMedia);
          for (const f of files) await storage.uploadFile(objectKeys.segment(upload.tenantId, uploadId, f.index), f.file, 'video/x-matroska');
        } finally {
          await rm(outDir, { recursive: true, force: true });
        }
        const ladder = ladderFor(probe.width, probe.height);
        // Without `hls`, only the top rung is encoded: it becomes `optimized`.
        const rungs = wanted(input, 'hls') ? ladder : ladder.slice(-1);
        activityLog().info('video split', { ...about(upload), segments: plan.length, rungs: rungs.map((r) => r.name) });
        return { segments: plan, rungs, rotationDegrees: probe.rotationDegrees };
      });
    },

    /** One segment into every rung, on whichever transcode worker takes it. */
    async transcodeSegment({ uploadId, segment, segmentCount, rungs, rotationDegrees }: SegmentInput): Promise<void> {
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      let fraction = 0;
      const beat = setInterval(() => ctx.heartbeat({ segment: segment.index + 1, of: segmentCount, fraction }), HEARTBEAT_MS);
      try {
        await inScratch(uploadId, async (dir) => {
          const source = join(dir, 'segment.mkv');
          await storage.download(objectKeys.segment(upload.tenantId, uploadId, segment.index), source);
          const encoded = await encoder
            .encodeSegment(source, {
              startSeconds: segment.startSeconds,
              durationSeconds: segment.durationSeconds,
              rotationDegrees,
              rungs,
              outDir: dir,
              signal: ctx.cancellationSignal,
              onProgress: (f) => (fraction = f),
            })
            .catch(rejectUnreadableMedia);
          // Keys of this run (its generation) and attempt: a retry or a rerun never overwrites what
          // an earlier attempt recorded.
          const generation = buildingGeneration(upload);
          const { activityId, attempt } = ctx.info;
          const stored = [];
          for (const piece of encoded) {
            const file = `${String(segment.index).padStart(5, '0')}.${activityId}.${attempt}.ts`;
            const key = objectKeys.output(upload.tenantId, uploadId, `hls/g${generation}/${piece.name}/${file}`);
            await storage.uploadFile(key, piece.file, 'video/mp2t');
            stored.push({ ...piece, key });
          }
          const { written, replacedKeys } = await pieces.record(
            uploadId,
            generation,
            stored.map((p) => ({
              rung: p.name,
              index: segment.index,
              objectKey: p.key,
              durationSeconds: p.durationSeconds,
              bytes: p.bytes,
              width: p.width,
              height: p.height,
              codecs: p.codecs,
            })),
          );
          if (!written) {
            await Promise.all(stored.map((p) => storage.delete(p.key)));
            throw uploadEnded(uploadId);
          }
          await Promise.all(replacedKeys.map((key) => storage.delete(key)));
          const done = await pieces.segmentsDone(uploadId, generation, rungs[rungs.length - 1]!.name);
          await uploads.setProgress(uploadId, Math.floor((done / segmentCount) * 95));
        });
      } finally {
        clearInterval(beat);
      }
    },

    /** The top rung's pieces joined into `optimized`; the ladder recorded as `hls`; segments removed. */
    async assembleVideo({ uploadId, outputs }: { uploadId: string; outputs?: ReadonlyArray<string> }): Promise<void> {
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      const generation = buildingGeneration(upload);
      const all = await pieces.list(uploadId, generation);
      const top = all[all.length - 1];
      if (!top) throw new Error(`upload ${uploadId} has no transcoded pieces`);
      const topPieces = all.filter((p) => p.rung === top.rung).sort((a, b) => a.index - b.index);
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      try {
        await inScratch(uploadId, async (dir) => {
          if (wanted({ uploadId, outputs }, OPTIMIZED)) {
            const files: string[] = [];
            for (const piece of topPieces) {
              const file = join(dir, `${String(piece.index).padStart(5, '0')}.ts`);
              await storage.download(piece.objectKey, file);
              files.push(file);
            }
            const mp4 = join(dir, 'optimized.mp4');
            await joiner.joinToMp4(files, mp4, ctx.cancellationSignal).catch(rejectUnreadableMedia);
            const { size } = await stat(mp4);
            await publishOutput(deps, upload, mp4, { name: OPTIMIZED, file: 'optimized.mp4', contentType: 'video/mp4', size, width: top.width, height: top.height });
          }
          if (wanted({ uploadId, outputs }, 'hls')) {
            const { written } = await uploads.upsertOutput(uploadId, {
              generation,
              name: 'hls',
              objectKey: objectKeys.output(upload.tenantId, uploadId, `hls/g${generation}/`),
              contentType: 'application/vnd.apple.mpegurl',
              size: all.reduce((sum, p) => sum + p.bytes, 0),
              width: top.width,
              height: top.height,
            });
            if (!written) throw uploadEnded(uploadId);
          }
        });
      } finally {
        clearInterval(beat);
      }
      await storage.deletePrefix(objectKeys.segmentsPrefix(upload.tenantId, uploadId));
      activityLog().info('video assembled', { ...about(upload), rungs: new Set(all.map((p) => p.rung)).size, segments: topPieces.length });
    },
  };
}
