import { ExifDateTime, ExifTool, Tags } from 'exiftool-vendored';
import type { FfprobeData, FfprobeStream } from 'fluent-ffmpeg';
import { mediaKind } from '../uploads/upload-policy';
import { openVerifiedImage, restrictImageLoaders } from './image-header';
import { CorruptVideoError } from './media-errors';
import { runTool, ToolFailure } from './tool-process';
import { sandboxedInput } from './verified-formats';

export interface GpsPosition {
  latitude: number;
  longitude: number;
  altitude: number | null;
}

export interface ImageMetadata {
  kind: 'image';
  format: string | null;
  /** Display dimensions, after EXIF orientation is applied. */
  width: number | null;
  height: number | null;
  orientation: number | null;
  camera: { make: string | null; model: string | null; lens: string | null };
  takenAt: string | null;
  exposure: { iso: number | null; exposureTime: string | null; fNumber: number | null; focalLength: string | null };
  /** Kept here for the tenant; never written into any output. */
  gps: GpsPosition | null;
}

export interface AvMetadata {
  kind: 'video' | 'audio';
  container: string | null;
  durationSeconds: number | null;
  bitRate: number | null;
  /** Coded dimensions, as stored (the video limits apply to these). */
  width: number | null;
  height: number | null;
  /** Clockwise degrees (0, 90, 180, 270) a player turns the picture, as exiftool's Rotation says it. */
  rotation: number | null;
  /** Dimensions as played, after the rotation: what ffmpeg's outputs (poster, storyboard) have. */
  displayWidth: number | null;
  displayHeight: number | null;
  frameRate: number | null;
  videoCodec: string | null;
  videoBitRate: number | null;
  audioCodec: string | null;
  audioBitRate: number | null;
  audioChannels: number | null;
  audioChannelLayout: string | null;
  sampleRate: number | null;
  /** Every stream in the container (video, audio, subtitles, data, attachments). */
  streams: number;
}

export interface MetadataReaderOptions {
  exiftoolPath?: string;
  ffprobePath: string;
  /** Images whose header declares more pixels are refused (IMAGE_TOO_LARGE); default 100 MP. */
  maxInputPixels?: number;
}

/** MAX_IMAGE_PIXELS's default, for callers that build a reader without the config. */
const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;

/**
 * EXIF via a long-lived exiftool process (exiftool-vendored), audio/video via ffprobe. The
 * verified type picks the decoder: sharp must recognise it from the image header, ffprobe is
 * forced to its demuxer and may open nothing but the file itself.
 */
export class MetadataReader {
  private readonly exiftool: ExifTool;

  constructor(private readonly options: MetadataReaderOptions) {
    restrictImageLoaders();
    this.exiftool = new ExifTool({ maxProcs: 2, ...(options.exiftoolPath ? { exiftoolPath: options.exiftoolPath } : {}) });
  }

  async readImage(filePath: string, type: string): Promise<ImageMetadata> {
    // The header check comes first, so exiftool never reads a file that is not what it claims.
    const { header } = await openVerifiedImage(filePath, type, this.options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS);
    const tags = await this.exiftool.read(filePath);
    const rotated = (header.orientation ?? 1) >= 5;
    return {
      kind: 'image',
      format: header.format ?? null,
      width: (rotated ? header.height : header.width) ?? null,
      height: (rotated ? header.width : header.height) ?? null,
      orientation: header.orientation ?? null,
      camera: { make: str(tags.Make), model: str(tags.Model), lens: str(tags.LensModel) },
      takenAt: dateOf(tags.DateTimeOriginal ?? tags.CreateDate),
      exposure: {
        iso: num(tags.ISO),
        exposureTime: str(tags.ExposureTime),
        fNumber: num(tags.FNumber),
        focalLength: str(tags.FocalLength),
      },
      gps: gpsOf(tags),
    };
  }

  /** ffprobe's view of an audio or video file; `type` (video/* or audio/*) picks the demuxer. */
  async readAv(filePath: string, type: string, opts: { signal?: AbortSignal } = {}): Promise<AvMetadata> {
    const kind = mediaKind(type);
    if (kind !== 'video' && kind !== 'audio') throw new Error(`readAv needs an audio or video type, not ${type}`);
    const data = await this.probe(filePath, type, opts.signal);
    // The same streams ffmpeg maps when it transcodes (0:V:0 and 0:a:0): the first real video
    // stream, cover art excluded, and the first audio stream.
    const video = data.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
    const audio = data.streams.find((s) => s.codec_type === 'audio');
    if (kind === 'video' && !video) throw new CorruptVideoError(`The ${type} file has no video stream`);
    if (kind === 'audio' && !audio) throw new CorruptVideoError(`The ${type} file has no audio stream`);
    const rotation = video ? rotationOf(video) : null;
    const turned = rotation === 90 || rotation === 270;
    return {
      kind,
      container: data.format.format_name ?? null,
      durationSeconds: num(data.format.duration),
      bitRate: num(data.format.bit_rate),
      width: video?.width ?? null,
      height: video?.height ?? null,
      rotation,
      displayWidth: (turned ? video?.height : video?.width) ?? null,
      displayHeight: (turned ? video?.width : video?.height) ?? null,
      frameRate: video ? frameRate(video.avg_frame_rate ?? video.r_frame_rate) : null,
      videoCodec: video?.codec_name ?? null,
      videoBitRate: num(video?.bit_rate),
      audioCodec: audio?.codec_name ?? null,
      audioBitRate: num(audio?.bit_rate),
      audioChannels: audio?.channels ?? null,
      audioChannelLayout: audio?.channel_layout ?? null,
      sampleRate: num(audio?.sample_rate),
      streams: data.streams.length,
    };
  }

  private async probe(filePath: string, type: string, signal?: AbortSignal): Promise<Pick<FfprobeData, 'format'> & { streams: FfprobeStream[] }> {
    const args = ['-hide_banner', '-loglevel', 'error', '-print_format', 'json', '-show_format', '-show_streams'];
    try {
      const { stdout } = await runTool(this.options.ffprobePath, [...args, ...sandboxedInput(type, filePath)], { signal });
      const data = JSON.parse(stdout) as Partial<FfprobeData>;
      return { format: data.format ?? {}, streams: data.streams ?? [] };
    } catch (err) {
      // ffprobe only reads: when it exits non-zero on its own, the input is what it cannot read.
      if (err instanceof ToolFailure && err.exitSignal === null) {
        throw new CorruptVideoError(`The content cannot be read as ${type}`, err.stderr.trim());
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.exiftool.end();
  }
}

function str(v: unknown): string | null {
  return v === undefined || v === null || v === '' ? null : String(v);
}

function num(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function dateOf(v: unknown): string | null {
  if (v instanceof ExifDateTime) return v.toISOString() ?? v.toExifString();
  return str(v);
}

function gpsOf(tags: Tags): GpsPosition | null {
  const latitude = num(tags.GPSLatitude);
  const longitude = num(tags.GPSLongitude);
  if (latitude === null || longitude === null) return null;
  return { latitude, longitude, altitude: num(tags.GPSAltitude) };
}

/**
 * The display matrix (ffprobe's side-data `rotation`, counter-clockwise degrees, -90 on a portrait
 * phone video) or, from older muxers, the legacy `rotate` tag (clockwise), as clockwise degrees.
 */
function rotationOf(stream: FfprobeStream): number {
  const sideData = (stream as { side_data_list?: Array<{ rotation?: number | string }> }).side_data_list;
  const matrix = num(sideData?.find((d) => d.rotation !== undefined)?.rotation);
  const clockwise = matrix !== null ? -matrix : (num((stream.tags as Record<string, unknown> | undefined)?.rotate) ?? 0);
  // Display matrices allow any angle; players (and ffmpeg's autorotate) snap to quarter turns.
  return ((Math.round(clockwise / 90) * 90) % 360 + 360) % 360;
}

function frameRate(ratio: string | undefined): number | null {
  if (!ratio) return null;
  const [n, d] = ratio.split('/').map(Number);
  if (!n || !d) return null;
  return Math.round((n / d) * 1000) / 1000;
}
