import ffmpeg from 'fluent-ffmpeg';

export interface TranscodeOptions {
  /** Called with 0..100 as ffmpeg reports progress. */
  onProgress?: (percent: number) => void;
  /** Aborting kills ffmpeg (activity cancellation, worker shutdown). */
  signal?: AbortSignal;
}

export interface VideoTranscoderOptions {
  ffmpegPath: string;
  maxDimension: number;
}

/** Thrown when ffmpeg cannot decode the input at all (not a transient failure). */
export class CorruptVideoError extends Error {}

/** ffmpeg through fluent-ffmpeg: the web MP4 rendition and poster frames. */
export class VideoTranscoder {
  constructor(private readonly options: VideoTranscoderOptions) {
    ffmpeg.setFfmpegPath(options.ffmpegPath);
  }

  /** H.264/AAC MP4, moov atom up front (faststart) so playback starts before the download ends. */
  transcodeMp4(input: string, output: string, opts: TranscodeOptions = {}): Promise<void> {
    const max = this.options.maxDimension;
    const command = ffmpeg(input)
      .videoCodec('libx264')
      .audioCodec('aac')
      .outputOptions([
        '-preset veryfast',
        '-crf 23',
        '-pix_fmt yuv420p',
        '-profile:v high',
        '-b:a 128k',
        '-movflags +faststart',
        '-map_metadata -1',
        `-vf scale=w='min(iw,${max})':h='min(ih,${max})':force_original_aspect_ratio=decrease:force_divisible_by=2`,
      ])
      .format('mp4');
    return this.run(command, output, opts);
  }

  /** One frame as PNG, taken a little way in so it is rarely a black lead-in. */
  extractFrame(input: string, output: string, atSeconds: number): Promise<void> {
    const command = ffmpeg(input)
      .seekInput(Math.max(0, atSeconds))
      .outputOptions(['-frames:v 1', '-an'])
      .format('image2')
      .videoCodec('png');
    return this.run(command, output, {});
  }

  private run(command: ffmpeg.FfmpegCommand, output: string, opts: TranscodeOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const abort = () => command.kill('SIGKILL');
      opts.signal?.addEventListener('abort', abort, { once: true });
      const cleanup = () => opts.signal?.removeEventListener('abort', abort);
      command
        .on('progress', (p: { percent?: number }) => {
          if (opts.onProgress && typeof p.percent === 'number' && Number.isFinite(p.percent)) {
            opts.onProgress(Math.max(0, Math.min(100, p.percent)));
          }
        })
        .on('end', () => {
          cleanup();
          resolve();
        })
        .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
          cleanup();
          if (opts.signal?.aborted) return reject(opts.signal.reason ?? err);
          const tail = (stderr ?? '').split('\n').slice(-6).join('\n');
          if (/Invalid data found when processing input|moov atom not found|could not find codec parameters/i.test(tail)) {
            reject(new CorruptVideoError(`${err.message}\n${tail}`));
          } else {
            reject(new Error(`${err.message}\n${tail}`));
          }
        })
        .save(output);
    });
  }
}
