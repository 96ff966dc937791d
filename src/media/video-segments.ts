import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptVideoError } from './media-errors';
import { runTool, ToolFailure } from './tool-process';
import { sandboxedInput } from './verified-formats';
import { asCorruptVideo } from './ffmpeg-run';

/**
 * The first step of a segmented transcode: the worker holding the upload's local copy cuts it at
 * keyframes into Matroska files (stream copy, no decoding), which any transcode worker can then
 * encode on its own. A killed worker costs at most one segment.
 */

export interface KeyframeProbe {
  /** Seconds from the start of the file (ffmpeg's output timeline), ascending. */
  keyframes: number[];
  durationSeconds: number;
  /** As displayed, after the rotation: what the ladder is chosen for. */
  width: number;
  height: number;
  /**
   * The display rotation, counter-clockwise degrees (0, 90, 180, 270). Matroska segments do not
   * keep it (ffmpeg 5.1), so SegmentEncoder applies it from here.
   */
  rotationDegrees: number;
}

export interface PlannedSegment {
  index: number;
  startSeconds: number;
  durationSeconds: number;
}

export interface SourceSegment extends PlannedSegment {
  file: string;
}

export interface VideoSegmenterOptions {
  ffmpegPath: string;
  ffprobePath: string;
}

/** How far a segment's measured duration may stray from its plan (an audio frame or two at a cut). */
const DURATION_TOLERANCE_SECONDS = 0.25;

export class VideoSegmenter {
  constructor(private readonly options: VideoSegmenterOptions) {}

  /** Keyframe times of the first video stream from packet flags alone: nothing is decoded. */
  async probeKeyframes(input: string, type: string, signal?: AbortSignal): Promise<KeyframeProbe> {
    const args = [
      // One line per packet, read as it comes: a long video's packet list is never held whole.
      '-hide_banner', '-loglevel', 'error', '-print_format', 'compact',
      '-select_streams', 'V:0',
      '-show_entries', 'packet=pts_time,flags:format=start_time,duration:stream=width,height:stream_side_data=rotation',
      ...sandboxedInput(type, input),
    ];
    const packetTimes: number[] = [];
    const sections: Record<string, Record<string, string>> = {};
    const onStdoutLine = (line: string) => {
      const [section, ...fields] = line.split('|');
      const values = Object.fromEntries(fields.map((f) => f.split('=', 2) as [string, string]));
      if (section === 'packet') {
        if (values.flags?.startsWith('K')) packetTimes.push(Number(values.pts_time));
      } else if (section) {
        sections[section] = { ...sections[section], ...values };
      }
    };
    try {
      await runTool(this.options.ffprobePath, args, { signal, onStdoutLine });
    } catch (err) {
      // ffprobe only reads: when it exits non-zero on its own, the input is what it cannot read.
      if (err instanceof ToolFailure && err.exitSignal === null) {
        throw new CorruptVideoError(`The content cannot be read as ${type}`, err.stderr.trim());
      }
      throw err;
    }
    const width = Number(sections.stream?.width);
    const height = Number(sections.stream?.height);
    if (!(width > 0 && height > 0)) throw new CorruptVideoError(`The ${type} file has no video stream`);
    const duration = Number(sections.format?.duration);
    if (!Number.isFinite(duration) || duration <= 0) throw new CorruptVideoError(`The ${type} file declares no duration`);
    // ffmpeg shifts its output to start at 0 (no -copyts), so cut times are counted from the start.
    const start = Number(sections.format?.start_time) || 0;
    const keyframes = packetTimes
      .filter(Number.isFinite) // "N/A"
      .map((t) => t - start)
      .sort((a, b) => a - b);
    if (keyframes.length === 0) throw new CorruptVideoError(`The ${type} file has no video keyframe`);
    const rotation = Number(sections.stream?.rotation ?? 0);
    // Only quarter turns are applied (as ffmpeg's own autorotate does); anything else plays unrotated.
    const rotationDegrees = [0, 90, 180, 270].find((q) => Math.abs((((rotation % 360) + 360) % 360) - q) < 1) ?? 0;
    const sideways = rotationDegrees % 180 === 90;
    return {
      keyframes,
      durationSeconds: duration,
      width: sideways ? height : width,
      height: sideways ? width : height,
      rotationDegrees,
    };
  }

  /**
   * One ffmpeg pass, stream copy: the first video and first audio stream into one Matroska file
   * per planned segment, each with timestamps from 0. A plan the file does not live up to (fewer
   * or shorter segments: it ends before its header says) is the file's fault.
   */
  async splitAtKeyframes(
    input: string,
    type: string,
    plan: readonly PlannedSegment[],
    outDir: string,
    signal?: AbortSignal,
  ): Promise<SourceSegment[]> {
    if (plan.length === 0) throw new Error('A segment plan needs at least one segment');
    // The muxer cuts at the first keyframe at or after each time; a millisecond early keeps a
    // keyframe whose printed time was rounded up from being skipped.
    const cuts = plan.slice(1).map((s) => (s.startSeconds - 0.001).toFixed(6));
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'error',
      ...sandboxedInput(type, input),
      '-map', '0:V:0', '-map', '0:a:0?', '-c', 'copy', '-map_metadata', '-1',
      '-f', 'segment', '-segment_format', 'matroska', '-reset_timestamps', '1',
      // One segment: a segment length no video reaches.
      ...(cuts.length > 0 ? ['-segment_times', cuts.join(',')] : ['-segment_time', '999999999']),
      '-y', `file:${join(outDir, 'segment-%05d.mkv')}`,
    ];
    // A retry may find an earlier attempt's segments here; they must not be counted as this run's.
    await Promise.all((await segmentFiles(outDir)).map((f) => rm(join(outDir, f), { force: true })));
    try {
      await runTool(this.options.ffmpegPath, args, { signal });
    } catch (err) {
      throw asCorruptVideo(err, type);
    }
    const files = await segmentFiles(outDir);
    if (files.length !== plan.length) {
      throw new CorruptVideoError(
        `The ${type} file ends before its declared duration`,
        `planned ${plan.length} segments, ffmpeg wrote ${files.length}`,
      );
    }
    const segments: SourceSegment[] = [];
    for (const [i, planned] of plan.entries()) {
      const file = join(outDir, files[i]!);
      const measured = await this.durationOf(file, signal);
      if (Math.abs(measured - planned.durationSeconds) > DURATION_TOLERANCE_SECONDS) {
        throw new CorruptVideoError(
          `The ${type} file ends before its declared duration`,
          `segment ${i} lasts ${measured} s, planned ${planned.durationSeconds} s`,
        );
      }
      segments.push({ ...planned, file });
    }
    return segments;
  }

  /** A segment we wrote ourselves: the demuxer is pinned to Matroska, as for the client's file. */
  private async durationOf(file: string, signal?: AbortSignal): Promise<number> {
    const { stdout } = await runTool(
      this.options.ffprobePath,
      ['-hide_banner', '-loglevel', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0',
        '-protocol_whitelist', 'file', '-f', 'matroska', '-i', `file:${file}`],
      { signal },
    );
    return Number(stdout.trim());
  }
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => /^segment-\d{5}\.mkv$/.test(f)).sort();
}

/**
 * Where to cut: only at keyframes, and only where at least `targetSeconds` remain on both sides,
 * so every segment lasts at least the target (a whole video shorter than it is one segment) and
 * a video shorter than twice the target is not split at all. Pure.
 */
export function planSegments(keyframes: readonly number[], durationSeconds: number, targetSeconds: number): PlannedSegment[] {
  if (!(targetSeconds > 0)) throw new Error('targetSeconds must be positive');
  if (!(durationSeconds > 0)) throw new Error('durationSeconds must be positive');
  const candidates = [...new Set(keyframes)].filter((k) => k > 0 && k < durationSeconds).sort((a, b) => a - b);
  const starts = [0];
  for (const k of candidates) {
    if (k - starts[starts.length - 1]! >= targetSeconds && durationSeconds - k >= targetSeconds) starts.push(k);
  }
  return starts.map((start, index) => ({
    index,
    startSeconds: start,
    durationSeconds: (starts[index + 1] ?? durationSeconds) - start,
  }));
}
