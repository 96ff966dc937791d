import sharp from 'sharp';

export interface SampleImage {
  width: number;
  height: number;
  jpeg: Buffer;
}

/**
 * A photo-like JPEG: smooth random shapes, a gradient and fine grain, with camera EXIF, so it
 * compresses and decodes like a camera picture (pure noise would be far larger, a plain gradient tiny).
 */
export async function renderSampleImage(width: number, height: number): Promise<SampleImage> {
  const coarse = { width: Math.ceil(width / 16), height: Math.ceil(height / 16), channels: 3 as const };
  const seeds = Buffer.alloc(coarse.width * coarse.height * 3);
  for (let i = 0; i < seeds.length; i++) seeds[i] = Math.floor(Math.random() * 256);
  const pixels = await sharp(seeds, { raw: coarse }).resize(width, height, { kernel: 'cubic' }).blur(3).raw().toBuffer();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const gradient = (x / width) * 60 + (y / height) * 40;
      for (let c = 0; c < 3; c++) {
        const v = pixels[i + c]! * 0.7 + gradient + (Math.random() - 0.5) * 24;
        pixels[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 88 })
    .withExif({ IFD0: { Make: 'Intake', Model: 'Bench Camera' }, IFD2: { ISO: '200', DateTimeOriginal: '2024:06:01 12:00:00' } })
    .toBuffer();
  return { width, height, jpeg };
}

/**
 * The same picture with a unique JPEG comment (COM segment) after the APPn segments: every upload
 * has different bytes, so no cache (clamd caches clean files by hash) makes a repeat free.
 */
export function uniqueCopy(jpeg: Buffer, label: string): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  let at = 2;
  while (jpeg[at] === 0xff && jpeg[at + 1]! >= 0xe0 && jpeg[at + 1]! <= 0xef) at += 2 + jpeg.readUInt16BE(at + 2);
  const text = Buffer.from(label, 'latin1');
  const marker = Buffer.from([0xff, 0xfe, 0, 0]);
  marker.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, at), marker, text, jpeg.subarray(at)]);
}
