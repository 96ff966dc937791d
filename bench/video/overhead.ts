import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../../src/config/config';
import { ladderFor, SegmentEncoder } from '../../src/media/segment-encoder';
import { planSegments, VideoSegmenter } from '../../src/media/video-segments';
import { median } from '../pipeline/report';
import { taggedCopy, type Clip } from './clips';
import { segmentsOf, stageTimes, StageTime, wallSeconds } from './history';
import type { VideoPlatform } from './processes';
import type { VideoUploader } from './uploads';

/** Longer than any clip the bench makes is allowed to be: the whole clip is one segment. */
const ONE_SEGMENT_SECONDS = 600;

export interface OverheadResult {
  clip: Clip;
  rungs: string[];
  /** SegmentEncoder.encodeSegment called in this process on the same segment file, s. */
  encoderSeconds: number;
  /** ffmpeg alone, with the argument list encodeSegment gave it, per run, s. */
  bareSeconds: number[];
  /** The segment activity in Intake, ActivityTaskStarted -> Completed, per run, s. */
  intakeSeconds: number[];
  /** The same from ActivityTaskScheduled (dispatch included), per run, s. */
  intakeScheduledSeconds: number[];
  /** The first Intake run's upload, stage by stage, and its wall time (complete -> workflow done). */
  stages: StageTime[];
  wallSeconds: number;
  ratio: number;
}

/**
 * An executable that writes its argument list (NUL-separated) to `argsFile` and then runs ffmpeg
 * with it: SegmentEncoder runs through it once, so the bare baseline uses exactly its arguments.
 */
async function recordingFfmpeg(dir: string, ffmpeg: string, argsFile: string): Promise<string> {
  const path = join(dir, 'ffmpeg-recording');
  await writeFile(path, `#!/bin/sh\nprintf '%s\\0' "$@" > '${argsFile}'\nexec '${ffmpeg}' "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

function timeFfmpeg(ffmpeg: string, args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}

/**
 * Wrapper overhead: one clip as a single segment through Intake (one worker, all queues) against
 * SegmentEncoder in this process and ffmpeg alone with the same arguments, on the same segment.
 */
export async function measureOverhead(opts: {
  config: AppConfig;
  platform: VideoPlatform;
  uploader: VideoUploader;
  clip: Clip;
  dir: string;
  runs: number;
  step: (message: string) => void;
}): Promise<OverheadResult> {
  const { config, platform, uploader, dir, step } = opts;
  // The bench's own split of the clip, as splitVideo does it: the segment file both baselines encode.
  const tools = { ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH };
  const segmenter = new VideoSegmenter(tools);
  const probe = await segmenter.probeKeyframes(opts.clip.path, 'video/mp4');
  const plan = planSegments(probe.keyframes, probe.durationSeconds, ONE_SEGMENT_SECONDS);
  const splitDir = join(dir, 'split');
  const outDir = join(dir, 'encoded');
  await mkdir(splitDir, { recursive: true });
  await mkdir(outDir, { recursive: true });
  const [segment] = await segmenter.splitAtKeyframes(opts.clip.path, 'video/mp4', plan, splitDir);
  const rungs = ladderFor(probe.width, probe.height);
  const argsFile = join(dir, 'ffmpeg-args');
  const encoder = new SegmentEncoder({ ...tools, ffmpegPath: await recordingFfmpeg(dir, config.FFMPEG_PATH, argsFile) });

  step(`overhead: SegmentEncoder.encodeSegment in-process (${segment!.durationSeconds.toFixed(1)} s, ${rungs.map((r) => r.name).join('+')})`);
  let started = performance.now();
  await encoder.encodeSegment(segment!.file, { startSeconds: 0, durationSeconds: segment!.durationSeconds, rotationDegrees: probe.rotationDegrees, rungs, outDir });
  const encoderSeconds = (performance.now() - started) / 1000;
  const args = (await readFile(argsFile, 'utf8')).split('\0').slice(0, -1);

  const worker = await platform.startWorker('overhead-worker', { VIDEO_SEGMENT_SECONDS: String(ONE_SEGMENT_SECONDS) });
  const result: OverheadResult = {
    clip: opts.clip,
    rungs: rungs.map((r) => r.name),
    encoderSeconds,
    bareSeconds: [],
    intakeSeconds: [],
    intakeScheduledSeconds: [],
    stages: [],
    wallSeconds: 0,
    ratio: 0,
  };
  try {
    // Alternating, so drift on the machine falls on both paths alike.
    for (let run = 1; run <= opts.runs; run++) {
      step(`overhead run ${run}/${opts.runs}: bare ffmpeg`);
      result.bareSeconds.push(await timeFfmpeg(config.FFMPEG_PATH, args));
      step(`overhead run ${run}/${opts.runs}: through Intake`);
      const copy = await taggedCopy(opts.clip.path, join(dir, `overhead-${run}.mp4`), `overhead ${run} ${Date.now()}`);
      const id = await platform.guarded(opts.uploader.start(copy));
      const timeline = await platform.guarded(opts.uploader.finished(id, 20 * 60_000));
      const segments = segmentsOf(timeline);
      if (segments.length !== 1) throw new Error(`expected one segment, the workflow ran ${segments.length}`);
      result.intakeSeconds.push((segments[0]!.closedMs - segments[0]!.startedMs) / 1000);
      result.intakeScheduledSeconds.push((segments[0]!.closedMs - segments[0]!.scheduledMs) / 1000);
      if (run === 1) {
        result.stages = stageTimes(timeline);
        result.wallSeconds = wallSeconds(timeline);
      }
    }
  } finally {
    await platform.stop(worker);
  }
  result.ratio = median(result.bareSeconds) / median(result.intakeSeconds);
  return result;
}
