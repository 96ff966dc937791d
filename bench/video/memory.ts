import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeLargeVideo, type Clip } from './clips';
import { segmentsOf, wallSeconds } from './history';
import { peakRssBytes, RssSamples, sampleRss } from './process-tree';
import type { VideoPlatform } from './processes';
import type { VideoUploader } from './uploads';

export interface MemoryRun {
  clip: Clip;
  segments: number;
  /** The fresh transcode worker idle for IDLE_MS, then while the upload is processed. */
  idle: RssSamples;
  busy: RssSamples;
  /** The transcode worker's VmHWM at the end: its peak since it started (start-up included). */
  highWaterMark: number;
  /** The light worker (workflows, short steps) over the same upload. */
  light: RssSamples;
  wallSeconds: number;
}

/** How long the fresh workers are watched idle before the upload. */
const IDLE_MS = 5_000;

/**
 * Memory: per size, a large 1080p video through a fresh transcode worker (the process that
 * downloads, scans, splits, encodes and joins it) beside a fresh light worker; the transcode
 * worker's RSS sampled idle and then while the upload is processed. The file is deleted after.
 */
export async function measureMemory(opts: {
  platform: VideoPlatform;
  uploader: VideoUploader;
  sizesMb: number[];
  segmentSeconds: number;
  dir: string;
  step: (message: string) => void;
}): Promise<MemoryRun[]> {
  const { platform, step } = opts;
  const segmentLength = { VIDEO_SEGMENT_SECONDS: String(opts.segmentSeconds) };
  const runs: MemoryRun[] = [];
  for (const mb of opts.sizesMb) {
    step(`memory: making a ${mb} MB video`);
    const clip = await makeLargeVideo(join(opts.dir, `large-${mb}.mp4`), join(opts.dir, 'large-seed.mp4'), mb * 1e6);
    const light = await platform.startWorker(`memory-${mb}mb-light`, { ...segmentLength, WORKER_QUEUES: 'uploads,webhooks' });
    const worker = await platform.startWorker(`memory-${mb}mb-transcode`, { ...segmentLength, WORKER_QUEUES: 'transcode', WORKER_MAX_CONCURRENT_TRANSCODES: '1' });
    try {
      const pid = worker.child.pid!;
      const idleSampler = sampleRss(pid);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const idle = idleSampler.stop();
      step(`memory: ${(clip.bytes / 1e6).toFixed(0)} MB, ${clip.seconds.toFixed(1)} s through the workers`);
      const busySampler = sampleRss(pid);
      const lightSampler = sampleRss(light.child.pid!);
      try {
        const id = await platform.guarded(opts.uploader.start(clip));
        const timeline = await platform.guarded(opts.uploader.finished(id, 60 * 60_000));
        const busy = busySampler.stop();
        runs.push({
          clip,
          segments: segmentsOf(timeline).length,
          idle,
          busy,
          highWaterMark: peakRssBytes(pid),
          light: lightSampler.stop(),
          wallSeconds: wallSeconds(timeline),
        });
      } finally {
        busySampler.stop();
        lightSampler.stop();
      }
    } finally {
      await platform.stop(worker, light);
      await rm(clip.path, { force: true });
    }
  }
  return runs;
}
