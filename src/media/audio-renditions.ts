import { type ProgressOptions, progressReporting, runFfmpeg } from './ffmpeg-run';
import { sandboxedInput } from './verified-formats';

/** EBU R128 targets for loudnorm: integrated LUFS, true peak dBTP, loudness range LU. */
export interface LoudnessTarget {
  integrated: number;
  truePeak: number;
  range: number;
}

/** What loudnorm's first pass measured (its print_format=json, as numbers). */
export interface LoudnessMeasurement {
  integrated: number;
  truePeak: number;
  range: number;
  threshold: number;
  targetOffset: number;
}

export interface AudioRunOptions extends ProgressOptions {
  /** The verified type: it picks the demuxer. */
  type: string;
  signal?: AbortSignal;
}

export interface EncodedAudio {
  /** The source's loudness; null for silence, which is encoded without gain. */
  measured: LoudnessMeasurement | null;
  /** loudnorm falls back to dynamic mode when a linear gain would push peaks over the target. */
  normalization: 'linear' | 'dynamic' | 'none';
}

export interface AudioRenditionsOptions {
  ffmpegPath: string;
  /** Default: -16 LUFS (streaming loudness), -1.5 dBTP, 11 LU. */
  target?: LoudnessTarget;
  /** AAC bit rate, e.g. '128k'. */
  bitRate?: string;
}

const DEFAULT_TARGET: LoudnessTarget = { integrated: -16, truePeak: -1.5, range: 11 };

/** Audio-only uploads: a loudness-normalised AAC M4A (`optimized`) and a waveform picture. */
export class AudioRenditions {
  private readonly target: LoudnessTarget;

  constructor(private readonly options: AudioRenditionsOptions) {
    this.target = options.target ?? DEFAULT_TARGET;
  }

  /** loudnorm's first pass: decodes the first audio stream once, writes nothing. */
  async measureLoudness(input: string, opts: AudioRunOptions): Promise<LoudnessMeasurement | null> {
    const progress = progressReporting(opts);
    const { stderr } = await runFfmpeg(
      this.options.ffmpegPath,
      [
        ...progress.args, '-nostats', '-loglevel', 'info',
        ...sandboxedInput(opts.type, input),
        '-map', '0:a:0', '-vn', '-sn', '-dn',
        '-af', `loudnorm=${this.targetArgs()}:print_format=json`,
        '-f', 'null', '-',
      ],
      opts.type,
      { signal: opts.signal, onStdoutLine: progress.onStdoutLine },
    );
    const m = loudnormReport(stderr);
    const measured = {
      integrated: Number(m.input_i),
      truePeak: Number(m.input_tp),
      range: Number(m.input_lra),
      threshold: Number(m.input_thresh),
      targetOffset: Number(m.target_offset),
    };
    // Digital silence measures -inf: there is no gain that would bring it to the target.
    return Object.values(measured).every(Number.isFinite) ? measured : null;
  }

  /**
   * Two-pass EBU R128 normalisation (measure, then apply the measured values in linear mode so the
   * dynamics are kept), AAC in an M4A with the moov atom first (faststart).
   */
  async encodeM4a(input: string, output: string, opts: AudioRunOptions & { sampleRate?: number | null }): Promise<EncodedAudio> {
    // Two decodes of the whole input: each reports half of the progress.
    const half = (offset: number) => ({ ...opts, onProgress: opts.onProgress && ((f: number) => opts.onProgress!(offset + f / 2)) });
    const measured = await this.measureLoudness(input, half(0));
    const filter = measured
      ? [
          `loudnorm=${this.targetArgs()}`,
          // loudnorm refuses linear mode when the measured range is exactly 0 (a constant level, such
          // as a tone); 0.1 LU is inaudibly different and keeps the gain linear.
          `measured_I=${measured.integrated}:measured_TP=${measured.truePeak}:measured_LRA=${Math.max(0.1, measured.range)}`,
          `measured_thresh=${measured.threshold}:offset=${measured.targetOffset}:linear=true:print_format=json`,
        ].join(':')
      : 'anull';
    // loudnorm resamples to 192 kHz internally; AAC players expect 44.1 or 48 kHz.
    const rate = opts.sampleRate === 44_100 ? 44_100 : 48_000;
    const progress = progressReporting(half(0.5));
    const { stderr } = await runFfmpeg(
      this.options.ffmpegPath,
      [
        ...progress.args, '-nostats', '-loglevel', 'info',
        ...sandboxedInput(opts.type, input),
        '-map', '0:a:0', '-vn', '-sn', '-dn',
        '-af', filter, '-ar', String(rate),
        '-c:a', 'aac', '-b:a', this.options.bitRate ?? '128k',
        '-movflags', '+faststart', '-map_metadata', '-1',
        '-f', 'ipod', '-y', `file:${output}`,
      ],
      opts.type,
      { signal: opts.signal, onStdoutLine: progress.onStdoutLine },
    );
    if (!measured) return { measured, normalization: 'none' };
    const type = loudnormReport(stderr).normalization_type;
    return { measured, normalization: type === 'linear' ? 'linear' : 'dynamic' };
  }

  /** The first audio stream drawn as one mono waveform, PNG (transparent background). */
  async renderWaveform(
    input: string,
    output: string,
    opts: AudioRunOptions & { width?: number; height?: number; color?: string },
  ): Promise<{ width: number; height: number }> {
    const width = opts.width ?? 1200;
    const height = opts.height ?? 200;
    await runFfmpeg(
      this.options.ffmpegPath,
      [
        '-loglevel', 'error',
        ...sandboxedInput(opts.type, input),
        '-filter_complex', `[0:a:0]aformat=channel_layouts=mono,showwavespic=s=${width}x${height}:colors=${opts.color ?? '0x3b82f6'}[w]`,
        '-map', '[w]', '-frames:v', '1', '-c:v', 'png', '-f', 'image2', '-update', '1', '-y', `file:${output}`,
      ],
      opts.type,
      { signal: opts.signal },
    );
    return { width, height };
  }

  private targetArgs(): string {
    const t = this.target;
    return `I=${t.integrated}:TP=${t.truePeak}:LRA=${t.range}`;
  }
}

/** The JSON object loudnorm prints last on stderr (print_format=json). */
export function loudnormReport(stderr: string): Record<string, string> {
  const start = stderr.lastIndexOf('{');
  const end = stderr.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('loudnorm printed no measurement');
  return JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>;
}
