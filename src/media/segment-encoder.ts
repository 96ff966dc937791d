import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './tool-process';
import { asCorruptVideo } from './ffmpeg-run';

/**
 * The parallel step of a segmented transcode: one source segment (a Matroska file from
 * VideoSegmenter) into every rung of the HLS ladder, by whichever transcode worker took it.
 */

export interface LadderRung {
  /** "360p", "720p", "1080p", or "<short side>p" for a source under 360p. */
  name: string;
  width: number;
  height: number;
  /** Bits per second: the average, the ceiling and the VBV buffer the encoder keeps to. */
  videoBitrate: number;
  maxrate: number;
  bufsize: number;
  audioBitrate: number;
}

/** The rungs by short side (the height of a landscape video), with their video bitrates. */
const STANDARD_RUNGS = [
  { short: 360, videoBitrate: 800_000, audioBitrate: 96_000 },
  { short: 720, videoBitrate: 2_800_000, audioBitrate: 128_000 },
  { short: 1080, videoBitrate: 5_000_000, audioBitrate: 128_000 },
] as const;

const SMALLEST_STANDARD_PIXELS = 640 * 360;

/**
 * The rungs at or below the source (never upscaled), aspect kept, even dimensions. `width` and
 * `height` are as displayed (after rotation). A source under 360p gets one rung at its own size.
 */
export function ladderFor(width: number, height: number): LadderRung[] {
  if (!(width >= 2 && height >= 2)) throw new Error(`No ladder for a ${width}x${height} video`);
  const short = Math.min(width, height);
  const rungs = STANDARD_RUNGS.filter((r) => r.short <= short).map((r) => {
    const scale = r.short / short;
    return rung(`${r.short}p`, even(width * scale), even(height * scale), r.videoBitrate, r.audioBitrate);
  });
  if (rungs.length > 0) return rungs;
  const w = width - (width % 2);
  const h = height - (height % 2);
  const bitrate = Math.max(200_000, Math.round((STANDARD_RUNGS[0].videoBitrate * w * h) / SMALLEST_STANDARD_PIXELS / 1000) * 1000);
  return [rung(`${Math.min(w, h)}p`, w, h, bitrate, STANDARD_RUNGS[0].audioBitrate)];
}

function rung(name: string, width: number, height: number, videoBitrate: number, audioBitrate: number): LadderRung {
  // Capped VBR: peaks up to 1.5x the average, over a two-second buffer at the average rate.
  return { name, width, height, videoBitrate, maxrate: videoBitrate * 1.5, bufsize: videoBitrate * 2, audioBitrate };
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

export interface EncodeSegmentOptions {
  /** Where the segment starts in the source: the pieces' timestamps are shifted by it. */
  startSeconds: number;
  durationSeconds: number;
  /** The source's display rotation (KeyframeProbe.rotationDegrees), which the segment lost. */
  rotationDegrees?: number;
  rungs: readonly LadderRung[];
  outDir: string;
  /** 0..1 from ffmpeg's `-progress` output. */
  onProgress?: (fraction: number) => void;
  /** Aborting kills ffmpeg (activity cancellation, worker shutdown). */
  signal?: AbortSignal;
  /** Wall-clock limit; default max(60 s, 20x the segment's duration). */
  timeLimitSeconds?: number;
}

export interface EncodedPiece {
  /** The rung's name. */
  name: string;
  /** An MPEG-TS file: H.264 (High) + AAC-LC stereo 48 kHz, a keyframe first. */
  file: string;
  width: number;
  height: number;
  bytes: number;
  durationSeconds: number;
  /** Bits per second over the piece (bytes * 8 / duration). */
  bandwidth: number;
  /** RFC 6381 codecs, as HLS's CODECS attribute wants them: "avc1.64001f,mp4a.40.2". */
  codecs: string;
}

/** ffmpeg ran past its wall-clock limit and was killed: a plain error, so the segment is retried. */
export class SegmentTimeLimitError extends Error {
  constructor(readonly limitSeconds: number) {
    super(`Encoding the segment took longer than ${limitSeconds} s`);
    this.name = 'SegmentTimeLimitError';
  }
}

export interface SegmentEncoderOptions {
  ffmpegPath: string;
  ffprobePath: string;
}

/** The filters ffmpeg's autorotate uses for each counter-clockwise display rotation. */
const ROTATIONS: Record<number, string> = { 0: '', 90: 'transpose=cclock,', 180: 'hflip,vflip,', 270: 'transpose=clock,' };

/** Keyframes every two seconds inside a piece, so a player can seek without decoding it whole. */
const KEYFRAME_EVERY = 'expr:gte(t,n_forced*2)';

export class SegmentEncoder {
  constructor(private readonly options: SegmentEncoderOptions) {}

  /**
   * One ffmpeg decodes the segment once and encodes every rung (split + scale), each into its
   * own MPEG-TS file placed at the segment's start on the source's timeline, so the pieces of a
   * rung play (and join) as one stream.
   */
  async encodeSegment(segmentFile: string, opts: EncodeSegmentOptions): Promise<EncodedPiece[]> {
    if (opts.rungs.length === 0) throw new Error('encodeSegment needs at least one rung');
    const limitSeconds = opts.timeLimitSeconds ?? Math.max(60, 20 * opts.durationSeconds);
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(new SegmentTimeLimitError(limitSeconds)), limitSeconds * 1000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, limit.signal]) : limit.signal;
    const files = opts.rungs.map((r) => join(opts.outDir, `${r.name}.ts`));
    const durationUs = opts.durationSeconds * 1e6;
    try {
      const lead = await this.videoLead(segmentFile, signal);
      await runTool(this.options.ffmpegPath, this.arguments(segmentFile, opts, files, opts.startSeconds - lead), {
        signal,
        onStdoutLine: (line) => {
          // out_time counts from the segment's own start; the TS offset is applied after it.
          const m = /^out_time_us=(\d+)$/.exec(line);
          if (m && opts.onProgress && durationUs > 0) opts.onProgress(Math.max(0, Math.min(1, Number(m[1]) / durationUs)));
        },
      });
    } catch (err) {
      throw asCorruptVideo(err, 'a video segment');
    } finally {
      clearTimeout(timer);
    }
    return Promise.all(opts.rungs.map((r, i) => this.describe(r.name, files[i]!, signal)));
  }

  /**
   * How long after the file's start its first video frame comes. The first segment's audio can
   * start earlier (an AAC encoder delay in the source), the others' start with the cut keyframe;
   * placing every piece by its first video frame keeps the pieces of a rung from overlapping.
   */
  private async videoLead(segmentFile: string, signal: AbortSignal): Promise<number> {
    const { stdout } = await runTool(
      this.options.ffprobePath,
      ['-hide_banner', '-loglevel', 'error', '-print_format', 'json', '-select_streams', 'v:0',
        '-show_entries', 'stream=start_time:format=start_time',
        '-protocol_whitelist', 'file', '-f', 'matroska', '-i', `file:${segmentFile}`],
      { signal },
    );
    const data = JSON.parse(stdout) as { streams?: Array<{ start_time?: string }>; format?: { start_time?: string } };
    const lead = Number(data.streams?.[0]?.start_time) - Number(data.format?.start_time);
    return Number.isFinite(lead) && lead > 0 ? lead : 0;
  }

  private arguments(segmentFile: string, opts: EncodeSegmentOptions, files: string[], offsetSeconds: number): string[] {
    const n = opts.rungs.length;
    const graph = [
      `[0:v:0]${ROTATIONS[opts.rotationDegrees ?? 0] ?? ''}split=${n}${opts.rungs.map((_, i) => `[s${i}]`).join('')}`,
      ...opts.rungs.map((r, i) => `[s${i}]scale=${r.width}:${r.height},setsar=1,format=yuv420p[v${i}]`),
    ].join(';');
    const offset = offsetSeconds.toFixed(6);
    return [
      '-nostdin', '-hide_banner', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats',
      // The rotation comes from the options alone, whatever a later ffmpeg keeps in Matroska.
      '-noautorotate',
      // Our own intermediate file: the demuxer and protocol are pinned all the same.
      '-protocol_whitelist', 'file', '-f', 'matroska', '-i', `file:${segmentFile}`,
      '-filter_complex', graph,
      ...opts.rungs.flatMap((r, i) => [
        '-map', `[v${i}]`, '-map', '0:a:0?',
        '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high',
        '-b:v', String(r.videoBitrate), '-maxrate', String(r.maxrate), '-bufsize', String(r.bufsize),
        // MPEG-TS's own 90 kHz clock: the default (1/frame rate) would move the first frame of a
        // segment whose video starts off that grid by up to a frame.
        '-force_key_frames', KEYFRAME_EVERY, '-enc_time_base:v', '1:90000',
        '-c:a', 'aac', '-ac', '2', '-ar', '48000', '-b:a', String(r.audioBitrate),
        // Kept as computed, even below zero (the TS muxer's own delay keeps what it writes
        // positive): shifting only the first piece would open a gap after it.
        '-map_metadata', '-1', '-output_ts_offset', offset, '-avoid_negative_ts', 'disabled',
        '-f', 'mpegts', '-y', `file:${files[i]}`,
      ]),
    ];
  }

  /** What a piece holds, from the piece itself (the level x264 picked goes into CODECS). */
  private async describe(name: string, file: string, signal: AbortSignal): Promise<EncodedPiece> {
    const { stdout } = await runTool(
      this.options.ffprobePath,
      ['-hide_banner', '-loglevel', 'error', '-print_format', 'json',
        '-show_entries', 'stream=codec_type,profile,level,width,height,duration',
        '-protocol_whitelist', 'file', '-f', 'mpegts', '-i', `file:${file}`],
      { signal },
    );
    const streams = (JSON.parse(stdout) as { streams?: ProbedStream[] }).streams ?? [];
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    if (!video?.width || !video.height || !video.level) throw new Error(`ffmpeg wrote no video to ${file}`);
    const { size: bytes } = await stat(file);
    const durationSeconds = Number(video.duration);
    if (!(durationSeconds > 0)) throw new Error(`ffmpeg wrote a video of no duration to ${file}`);
    return {
      name,
      file,
      width: video.width,
      height: video.height,
      bytes,
      durationSeconds,
      bandwidth: Math.ceil((bytes * 8) / durationSeconds),
      codecs: [`avc1.6400${video.level.toString(16).padStart(2, '0')}`, ...(audio ? ['mp4a.40.2'] : [])].join(','),
    };
  }
}

interface ProbedStream {
  codec_type?: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  duration?: string;
}
