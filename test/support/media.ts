import { execFile } from 'node:child_process';
import { ExifTool } from 'exiftool-vendored';
import ffmpeg from 'fluent-ffmpeg';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

/** The EICAR test string: every scanner flags it, it harms nothing. */
export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

export const PHOTO_GPS = { latitude: 48.8584, longitude: 2.2945, altitude: 35 };

/** A photo-like gradient image, encoded as requested. */
export async function makeImage(path: string, width: number, height: number, format: 'jpeg' | 'png'): Promise<void> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = ((x + y) * 97) % 256;
    }
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  await (format === 'jpeg' ? image.jpeg({ quality: 85 }) : image.png()).toFile(path);
}

/**
 * A 640x480 JPEG whose EXIF says "rotate 90° clockwise" (orientation 6), taken at the Eiffel Tower:
 * displayed, it is 480x640.
 */
export async function makeRotatedGpsJpeg(path: string): Promise<void> {
  await makeImage(path, 640, 480, 'jpeg');
  const exiftool = new ExifTool({ maxProcs: 1 });
  try {
    await exiftool.write(
      path,
      {
        // exiftool-vendored derives the GPS *Ref tags from the signs; Orientation takes its printed form.
        Orientation: 'Rotate 90 CW',
        GPSLatitude: PHOTO_GPS.latitude,
        GPSLongitude: PHOTO_GPS.longitude,
        GPSAltitude: PHOTO_GPS.altitude,
        Make: 'IntakeCam',
        Model: 'Test One',
        DateTimeOriginal: '2024:05:06 07:08:09',
      } as never,
      { writeArgs: ['-overwrite_original'] },
    );
  } finally {
    await exiftool.end();
  }
}

/** An H.264/AAC MP4 from ffmpeg's test sources. */
export async function makeVideo(path: string, opts: { width: number; height: number; seconds: number; fps?: number }) {
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${opts.width}x${opts.height}:rate=${opts.fps ?? 25}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-shortest', path,
  ]);
}

export interface Probed {
  formatName: string;
  duration: number;
  video?: { codec: string; width: number; height: number };
  audio?: { codec: string };
}

export async function probe(path: string): Promise<Probed> {
  const data = await new Promise<ffmpeg.FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(path, (err, d) => (err ? reject(err) : resolve(d))),
  );
  const v = data.streams.find((s) => s.codec_type === 'video');
  const a = data.streams.find((s) => s.codec_type === 'audio');
  return {
    formatName: data.format.format_name ?? '',
    duration: Number(data.format.duration),
    video: v ? { codec: v.codec_name!, width: v.width!, height: v.height! } : undefined,
    audio: a ? { codec: a.codec_name! } : undefined,
  };
}

/** Top-level MP4 boxes in file order: faststart puts `moov` before `mdat`. */
export function mp4Boxes(buf: Buffer): string[] {
  const boxes: string[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(offset + 8));
    boxes.push(type);
    if (size < 8) break;
    offset += size;
  }
  return boxes;
}
