import { ExifDateTime, ExifTool, Tags } from 'exiftool-vendored';
import ffmpeg, { FfprobeData } from 'fluent-ffmpeg';
import sharp from 'sharp';

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
  width: number | null;
  height: number | null;
  frameRate: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  audioChannels: number | null;
  sampleRate: number | null;
}

export interface MetadataReaderOptions {
  exiftoolPath?: string;
  ffprobePath: string;
}

/** EXIF via a long-lived exiftool process (exiftool-vendored), audio/video via ffprobe. */
export class MetadataReader {
  private readonly exiftool: ExifTool;

  constructor(private readonly options: MetadataReaderOptions) {
    ffmpeg.setFfprobePath(options.ffprobePath);
    this.exiftool = new ExifTool({ maxProcs: 2, ...(options.exiftoolPath ? { exiftoolPath: options.exiftoolPath } : {}) });
  }

  async readImage(filePath: string): Promise<ImageMetadata> {
    const [tags, header] = await Promise.all([this.exiftool.read(filePath), sharp(filePath).metadata()]);
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

  async readAv(filePath: string, kind: 'video' | 'audio'): Promise<AvMetadata> {
    const data = await new Promise<FfprobeData>((resolve, reject) =>
      ffmpeg.ffprobe(filePath, (err, probed) => (err ? reject(err) : resolve(probed))),
    );
    const video = data.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
    const audio = data.streams.find((s) => s.codec_type === 'audio');
    return {
      kind,
      container: data.format.format_name ?? null,
      durationSeconds: num(data.format.duration),
      bitRate: num(data.format.bit_rate),
      width: video?.width ?? null,
      height: video?.height ?? null,
      frameRate: video ? frameRate(video.avg_frame_rate ?? video.r_frame_rate) : null,
      videoCodec: video?.codec_name ?? null,
      audioCodec: audio?.codec_name ?? null,
      audioChannels: audio?.channels ?? null,
      sampleRate: num(audio?.sample_rate),
    };
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

function frameRate(ratio: string | undefined): number | null {
  if (!ratio) return null;
  const [n, d] = ratio.split('/').map(Number);
  if (!n || !d) return null;
  return Math.round((n / d) * 1000) / 1000;
}
