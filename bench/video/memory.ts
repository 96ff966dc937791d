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
  /** A fresh worker sitting idle for the idle window, then the same worker while the upload is processed. */
  idle: RssSamples;
  busy: RssSamples;
  /** VmHWM at the end: the process's peak since it started (start-up included). */
  highWaterMark: number;
  wallSeconds: number;
}

/** How long the fresh worker is watched idle before the upload. */
const IDLE_MS = 5_000;

/**
 * Memory: per size, a large 1080p video through a fresh worker that polls every queue (the one
 * process that downloads, scans, splits and encodes it), its RSS sampled idle and then while the
 * upload is processed. The file is deleted after its run.
 */
export async function measureMemory(opts: {
  platform: VideoPlatform;
  uploader: VideoUploader;
  sizesMb: number[];
  dir: string;
  step: (message: string) => void;
}): Promise<MemoryRun[]> {
  const { platform, step } = opts;
  const runs: MemoryRun[] = [];
  for (const mb of opts.sizesMb) {
    step(`memory: making a ${mb} MB video`);
    const clip = await makeLargeVideo(join(opts.dir, `large-${mb}.mp4`), join(opts.dir, 'large-seed.mp4'), mb * 1e6);
    const worker = await platform.startWorker(`memory-${mb}mb`);
    try {
      const pid = worker.child.pid!;
      const idleSampler = sampleRss(pid);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const idle = idleSampler.stop();
      step(`memory: ${(clip.bytes / 1e6).toFixed(0)} MB, ${clip.seconds.toFixed(1)} s through the worker`);
      const busySampler = sampleRss(pid);
      const id = await platform.guarded(opts.uploader.start(clip));
      const timeline = await platform.guarded(opts.uploader.finished(id, 60 * 60_000));
      const busy = busySampler.stop();
      runs.push({ clip, segments: segmentsOf(timeline).length, idle, busy, highWaterMark: peakRssBytes(pid), wallSeconds: wallSeconds(timeline) });
    } finally {
      await platform.stop(worker);
      await rm(clip.path, { force: true });
    }
  }
  return runs;
}
