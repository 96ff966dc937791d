import type { Clip } from './clips';
import { segmentsOf, UploadTimeline, wallSeconds } from './history';
import { cpuWithChildren } from './process-tree';
import type { VideoPlatform } from './processes';
import type { VideoUploader } from './uploads';

export interface ParallelRun {
  transcodeWorkers: number;
  segments: number;
  /** First transcodeSegment scheduled -> last one completed, s. */
  segmentsSeconds: number;
  /** complete call -> workflow completed, s. */
  wallSeconds: number;
  /** Segments per transcode worker, in start order. */
  segmentsPerWorker: number[];
  /** CPU seconds of the transcode workers and their ffmpeg children over the upload, and of the light worker. */
  transcodeCpuSeconds: number;
  lightCpuSeconds: number;
}

export interface ParallelResult {
  clip: Clip;
  segmentSeconds: number;
  one: ParallelRun;
  two: ParallelRun;
  /** one / two, segment phase and whole upload (ideal 2). */
  segmentsSpeedup: number;
  wallSpeedup: number;
}

function segmentPhaseSeconds(t: UploadTimeline): number {
  const s = segmentsOf(t);
  return (Math.max(...s.map((a) => a.closedMs)) - Math.min(...s.map((a) => a.scheduledMs))) / 1000;
}

/**
 * Parallel speed-up: the same video (a fresh copy each time) with one transcode worker, then with
 * two, each WORKER_MAX_CONCURRENT_TRANSCODES=1, beside one light worker that runs the workflows.
 */
export async function measureParallel(opts: {
  platform: VideoPlatform;
  uploader: VideoUploader;
  copies: [Clip, Clip];
  segmentSeconds: number;
  step: (message: string) => void;
}): Promise<ParallelResult> {
  const { platform, step } = opts;
  const segmentLength = { VIDEO_SEGMENT_SECONDS: String(opts.segmentSeconds) };
  const transcode = { ...segmentLength, WORKER_QUEUES: 'transcode', WORKER_MAX_CONCURRENT_TRANSCODES: '1' };
  const light = await platform.startWorker('parallel-light', { ...segmentLength, WORKER_QUEUES: 'uploads,webhooks' });
  const runs: ParallelRun[] = [];
  try {
    for (const [i, count] of [1, 2].entries()) {
      const encoders = [];
      for (let w = 0; w < count; w++) encoders.push(await platform.startWorker(`parallel-${count}-transcode-${w + 1}`, transcode));
      try {
        step(`parallel: ${opts.copies[i]!.seconds.toFixed(0)} s video on ${count} transcode worker(s)`);
        const before = { transcode: encoders.map((w) => cpuWithChildren(w.child.pid!)), light: cpuWithChildren(light.child.pid!) };
        const id = await platform.guarded(opts.uploader.start(opts.copies[i]!));
        const timeline = await platform.guarded(opts.uploader.finished(id, 60 * 60_000));
        const segments = segmentsOf(timeline);
        runs.push({
          transcodeWorkers: count,
          segments: segments.length,
          segmentsSeconds: segmentPhaseSeconds(timeline),
          wallSeconds: wallSeconds(timeline),
          segmentsPerWorker: encoders.map((w) => segments.filter((s) => s.identity.startsWith(`${w.child.pid}@`)).length),
          transcodeCpuSeconds: encoders.reduce((sum, w, k) => sum + cpuWithChildren(w.child.pid!) - before.transcode[k]!, 0),
          lightCpuSeconds: cpuWithChildren(light.child.pid!) - before.light,
        });
      } finally {
        await platform.stop(...encoders);
      }
    }
  } finally {
    await platform.stop(light);
  }
  const [one, two] = runs as [ParallelRun, ParallelRun];
  return {
    clip: opts.copies[0],
    segmentSeconds: opts.segmentSeconds,
    one,
    two,
    segmentsSpeedup: one.segmentsSeconds / two.segmentsSeconds,
    wallSpeedup: one.wallSeconds / two.wallSeconds,
  };
}
