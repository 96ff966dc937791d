import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { runFfmpeg } from './ffmpeg-run';
import { restrictImageLoaders } from './image-header';
import { CorruptVideoError } from './media-errors';
import { sandboxedInput } from './verified-formats';

export interface PosterFrameOptions {
  /** The verified type: it picks the demuxer. */
  type: string;
  /** From readAv; null (unknown) samples the first seconds only. */
  durationSeconds: number | null;
  signal?: AbortSignal;
}

export interface PickedFrame {
  /** The seek that found it (a keyframe seek lands on the keyframe at or before this time). */
  atSeconds: number;
  keyframe: boolean;
  /** Mean luma (0..255) and its spread of the chosen frame, for the logs. */
  meanLuma: number;
  lumaSpread: number;
}

export interface PosterFramePickerOptions {
  ffmpegPath: string;
  /** How many frames are looked at; each costs one seek and a decode up to it, never the whole video. */
  candidates?: number;
}

/** What one sampled frame looks like, from a small greyscale copy of it. */
export interface FrameStats {
  atSeconds: number;
  meanLuma: number;
  lumaSpread: number;
  /** 16-bin luma histogram, normalised to sum 1. */
  histogram: number[];
}

/** Candidate times spread over the whole duration, away from both ends (fades, black lead-ins). */
export function candidateTimes(durationSeconds: number | null, count: number): number[] {
  if (!durationSeconds || durationSeconds <= 0) return [0, 1, 2, 5].slice(0, Math.max(1, count));
  return Array.from({ length: count }, (_, i) => round3((durationSeconds * (i + 0.5)) / count));
}

/**
 * Skips black, blown-out and near-uniform frames (blackframe/YDIF-like thresholds), then picks, as
 * ffmpeg's `thumbnail` filter does, the frame whose histogram is closest to the average of the
 * usable ones: representative rather than an outlier. With no usable frame, the least uniform.
 */
export function chooseFrame<F extends FrameStats>(frames: F[]): F {
  if (frames.length === 0) throw new Error('chooseFrame needs at least one frame');
  const usable = frames.filter(isUsable);
  if (usable.length === 0) return frames.reduce((a, b) => (b.lumaSpread > a.lumaSpread ? b : a));
  const mean = usable[0]!.histogram.map((_, bin) => usable.reduce((s, f) => s + f.histogram[bin]!, 0) / usable.length);
  const distance = (f: FrameStats) => f.histogram.reduce((s, v, bin) => s + (v - mean[bin]!) ** 2, 0);
  return usable.reduce((a, b) => (distance(b) < distance(a) ? b : a));
}

/** Neither black, nor blown out, nor near-uniform (a fade, a title card's flat background). */
export function isUsable(f: FrameStats): boolean {
  return f.meanLuma >= 24 && f.meanLuma <= 235 && f.lumaSpread >= 12;
}

interface Candidate extends FrameStats {
  keyframe: boolean;
}

/**
 * A representative still of a video as PNG: the caller renders `poster` and `thumbnail` from this
 * one file (ImageProcessor.renderWebp, type image/png), so both show the same frame.
 */
export class PosterFramePicker {
  constructor(private readonly options: PosterFramePickerOptions) {
    restrictImageLoaders();
  }

  async pickFrame(input: string, output: string, opts: PosterFrameOptions): Promise<PickedFrame> {
    const scratch = await mkdtemp(join(dirname(output), 'poster-'));
    try {
      // Keyframes first: a seek lands on one and decodes that single frame, where an exact time
      // decodes the whole GOP before it. Exact times only when no keyframe was usable (one long GOP).
      let frames = await this.sample(input, scratch, opts, true);
      if (!frames.some(isUsable)) frames = [...frames, ...(await this.sample(input, scratch, opts, false))];
      if (frames.length === 0) throw new CorruptVideoError(`No frame of the ${opts.type} file could be decoded`);
      const chosen = chooseFrame(frames);
      // The same seek decodes the same frame the candidate showed, now at full size.
      await this.extract(input, output, chosen.atSeconds, chosen.keyframe, opts);
      return { atSeconds: chosen.atSeconds, keyframe: chosen.keyframe, meanLuma: chosen.meanLuma, lumaSpread: chosen.lumaSpread };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private async sample(input: string, scratch: string, opts: PosterFrameOptions, keyframe: boolean): Promise<Candidate[]> {
    const frames: Candidate[] = [];
    for (const [i, at] of candidateTimes(opts.durationSeconds, this.options.candidates ?? 9).entries()) {
      const small = join(scratch, `${keyframe ? 'key' : 'exact'}-${i}.png`);
      await this.extract(input, small, at, keyframe, opts, 'scale=160:-2');
      // A seek past the real end writes nothing (a header's duration can be wrong): skip it.
      if (existsSync(small)) frames.push({ atSeconds: at, keyframe, ...(await lumaStats(small)) });
    }
    return frames;
  }

  private async extract(input: string, output: string, at: number, keyframe: boolean, opts: PosterFrameOptions, filter?: string) {
    await runFfmpeg(
      this.options.ffmpegPath,
      [
        '-loglevel', 'error',
        // skip_frame: without it ffmpeg decodes (and drops) the frames after the keyframe too.
        '-ss', String(at), ...(keyframe ? ['-noaccurate_seek', '-skip_frame', 'nokey'] : []),
        ...sandboxedInput(opts.type, input),
        '-map', '0:V:0', '-frames:v', '1', '-an', '-sn', '-dn',
        ...(filter ? ['-vf', filter] : []),
        '-c:v', 'png', '-f', 'image2', '-update', '1', '-y', `file:${output}`,
      ],
      opts.type,
      { signal: opts.signal },
    );
  }
}

async function lumaStats(path: string): Promise<Omit<FrameStats, 'atSeconds'>> {
  const { data } = await sharp(path).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
  const histogram = new Array<number>(16).fill(0);
  let sum = 0;
  for (const v of data) {
    sum += v;
    histogram[v >> 4]!++;
  }
  const meanLuma = sum / data.length;
  let squares = 0;
  for (const v of data) squares += (v - meanLuma) ** 2;
  return {
    meanLuma,
    lumaSpread: Math.sqrt(squares / data.length),
    histogram: histogram.map((n) => n / data.length),
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
