import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type ProgressOptions, progressReporting, runFfmpeg } from './ffmpeg-run';
import { CorruptVideoError } from './media-errors';
import { sandboxedInput } from './verified-formats';

export interface StoryboardLayout {
  /** Seconds of video each tile stands for; the last tile's cue ends at the duration instead. */
  intervalSeconds: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  tiles: number;
  sheetWidth: number;
  sheetHeight: number;
}

export interface StoryboardCue {
  start: number;
  end: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutOptions {
  /** Display dimensions (after rotation) of the video: they give the tile's height. */
  width: number;
  height: number;
  tileWidth?: number;
  maxColumns?: number;
  maxRows?: number;
  /** Shortest interval between tiles, so a short clip does not get a tile per frame. */
  minIntervalSeconds?: number;
}

/**
 * One sprite sheet, at most maxColumns x maxRows tiles, covering the whole duration: the interval
 * grows with the duration (whole seconds, so cue times stay readable) to keep the tile count bounded.
 */
export function storyboardLayout(durationSeconds: number, opts: LayoutOptions): StoryboardLayout {
  if (!(durationSeconds > 0)) throw new Error(`A storyboard needs a positive duration, not ${durationSeconds}`);
  const tileWidth = opts.tileWidth ?? 160;
  const maxColumns = opts.maxColumns ?? 10;
  const maxTiles = maxColumns * (opts.maxRows ?? 10);
  const intervalSeconds = Math.max(opts.minIntervalSeconds ?? 1, Math.ceil(durationSeconds / maxTiles));
  const tiles = Math.max(1, Math.ceil(durationSeconds / intervalSeconds - 1e-9));
  const columns = Math.min(maxColumns, tiles);
  const rows = Math.ceil(tiles / columns);
  // Even, like ffmpeg's scale=-2 would, but computed here so the VTT and the sheet agree exactly.
  const tileHeight = Math.max(2, 2 * Math.round((tileWidth * opts.height) / opts.width / 2));
  return { intervalSeconds, tileWidth, tileHeight, columns, rows, tiles, sheetWidth: columns * tileWidth, sheetHeight: rows * tileHeight };
}

/** Contiguous cues [0, duration], tile i (row-major, as ffmpeg's tile filter fills) for [i*interval, ...). */
export function storyboardCues(durationSeconds: number, layout: StoryboardLayout): StoryboardCue[] {
  return Array.from({ length: layout.tiles }, (_, i) => ({
    start: i * layout.intervalSeconds,
    end: i === layout.tiles - 1 ? durationSeconds : (i + 1) * layout.intervalSeconds,
    x: (i % layout.columns) * layout.tileWidth,
    y: Math.floor(i / layout.columns) * layout.tileHeight,
    w: layout.tileWidth,
    h: layout.tileHeight,
  }));
}

/** The WebVTT file (text/vtt) players read thumbnails from; `spriteUrl` is as the player will fetch it. */
export function storyboardVtt(cues: StoryboardCue[], spriteUrl: string): string {
  const body = cues.map((c) => `${vttTime(c.start)} --> ${vttTime(c.end)}\n${spriteUrl}#xywh=${c.x},${c.y},${c.w},${c.h}`);
  return `WEBVTT\n\n${body.join('\n\n')}\n`;
}

/** hh:mm:ss.mmm, as WebVTT requires. */
export function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

export interface StoryboardOptions extends ProgressOptions {
  type: string;
  signal?: AbortSignal;
}

/** The sprite sheet, in one ffmpeg pass: a frame every interval, scaled, tiled row by row. */
export class StoryboardRenderer {
  constructor(private readonly options: { ffmpegPath: string }) {}

  /** Writes the sheet as JPEG to `output` (the layout says its size and where each tile is). */
  async renderSheet(input: string, output: string, layout: StoryboardLayout, opts: StoryboardOptions): Promise<void> {
    const { intervalSeconds: interval, tileWidth, tileHeight, columns, rows } = layout;
    const progress = progressReporting(opts);
    await rm(output, { force: true }); // a retry's leftover must not pass for this run's sheet
    await runFfmpeg(
      this.options.ffmpegPath,
      [
        ...progress.args, '-loglevel', 'error',
        // With tiles tens of seconds apart, keyframes are close enough and decoding only them is
        // many times cheaper on long videos; nearer tiles need every frame to land on their time.
        ...(interval >= 10 ? ['-skip_frame', 'nokey'] : []),
        ...sandboxedInput(opts.type, input),
        '-map', '0:V:0', '-an', '-sn', '-dn',
        '-vf', `fps=1/${interval},scale=${tileWidth}:${tileHeight},setsar=1,tile=${columns}x${rows}`,
        '-frames:v', '1', '-q:v', '4', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p',
        '-f', 'image2', '-update', '1', '-y', `file:${output}`,
      ],
      opts.type,
      { signal: opts.signal, onStdoutLine: progress.onStdoutLine },
    );
    // ffmpeg exits 0 having written nothing when not one frame decoded.
    if (!existsSync(output)) throw new CorruptVideoError(`No frame of the ${opts.type} file could be decoded`);
  }
}
