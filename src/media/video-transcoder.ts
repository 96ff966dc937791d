import { runFfmpeg } from './ffmpeg-run';
import { sandboxedInput } from './verified-formats';

// Kept importable from here, where the pipeline has always found it.
export { CorruptVideoError } from './media-errors';

export interface TranscodeOptions {
  /** The verified type: it picks the demuxer, ffmpeg's own probing never does. */
  type: string;
  /** Called with 0..100 as ffmpeg reports progress. */
  onProgress?: (percent: number) => void;
  /** Aborting kills ffmpeg (activity cancellation, worker shutdown). */
  signal?: AbortSignal;
}

export interface FrameOptions {
  type: string;
  atSeconds: number;
  signal?: AbortSignal;
}

export interface VideoTranscoderOptions {
  ffmpegPath: string;
  maxDimension: number;
}

/**
 * ffmpeg, spawned directly (see tool-process.ts for why every run dies with the worker): the web
 * MP4 rendition and poster frames.
 */
export class VideoTranscoder {
  constructor(private readonly options: VideoTranscoderOptions) {}

  /** H.264/AAC MP4, moov atom up front (faststart) so playback starts before the download ends. */
  async transcodeMp4(input: string, output: string, opts: TranscodeOptions): Promise<void> {
    const max = this.options.maxDimension;
    let durationUs: number | undefined;
    await this.run(
      [
        '-progress', 'pipe:1', '-nostats',
        ...sandboxedInput(opts.type, input),
        // The streams readAv describes (and the video limits were checked on): the first real video
        // stream, cover art excluded, and the first audio stream if there is one.
        '-map', '0:V:0', '-map', '0:a:0?',
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-profile:v', 'high',
        '-c:a', 'aac', '-b:a', '128k',
        '-vf', `scale=w='min(iw,${max})':h='min(ih,${max})':force_original_aspect_ratio=decrease:force_divisible_by=2`,
        '-movflags', '+faststart', '-map_metadata', '-1',
        '-f', 'mp4', '-y', `file:${output}`,
      ],
      opts.type,
      {
        signal: opts.signal,
        onStderrLine: (line) => {
          durationUs ??= parseDurationUs(line);
        },
        onStdoutLine: (line) => {
          const m = /^out_time_us=(\d+)$/.exec(line);
          if (m && durationUs && opts.onProgress) opts.onProgress(Math.max(0, Math.min(100, (Number(m[1]) / durationUs) * 100)));
        },
      },
    );
  }

  /** One frame as PNG, taken a little way in so it is rarely a black lead-in. */
  async extractFrame(input: string, output: string, opts: FrameOptions): Promise<void> {
    await this.run(
      [
        '-ss', String(Math.max(0, opts.atSeconds)),
        ...sandboxedInput(opts.type, input),
        '-map', '0:V:0', '-frames:v', '1', '-an', '-c:v', 'png',
        '-f', 'image2', '-update', '1', '-y', `file:${output}`,
      ],
      opts.type,
      { signal: opts.signal },
    );
  }

  private async run(
    args: string[],
    type: string,
    opts: { signal?: AbortSignal; onStdoutLine?: (line: string) => void; onStderrLine?: (line: string) => void },
  ): Promise<void> {
    await runFfmpeg(this.options.ffmpegPath, args, type, opts);
  }
}

/** `  Duration: 00:01:02.50, start: ...` from ffmpeg's input description, in microseconds. */
export function parseDurationUs(line: string): number | undefined {
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
  if (!m) return undefined;
  return Math.round((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1e6);
}
