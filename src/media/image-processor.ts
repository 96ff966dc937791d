import sharp from 'sharp';

export interface RenderedImage {
  width: number;
  height: number;
  size: number;
}

export interface ImageProcessorOptions {
  /** Decompression-bomb guard: sharp refuses inputs with more pixels than this. */
  maxInputPixels: number;
}

/** Thrown for inputs sharp refuses as too large; the pipeline turns it into a rejection. */
export class ImageTooLargeError extends Error {}
/** Thrown when the bytes cannot be decoded as the image they claim to be. */
export class CorruptImageError extends Error {}

/**
 * Image renditions with sharp. Every output is auto-oriented from EXIF and carries no metadata
 * (sharp strips it unless asked to keep it), so GPS never leaves the original.
 */
export class ImageProcessor {
  constructor(private readonly options: ImageProcessorOptions) {}

  /** A WebP no larger than `maxDimension` on its long side; never enlarged. */
  async renderWebp(input: string, output: string, maxDimension: number, quality = 80): Promise<RenderedImage> {
    try {
      const info = await sharp(input, { limitInputPixels: this.options.maxInputPixels, failOn: 'error' })
        .autoOrient()
        .resize({ width: maxDimension, height: maxDimension, fit: 'inside', withoutEnlargement: true })
        .webp({ quality, effort: 4 })
        .toFile(output);
      return { width: info.width, height: info.height, size: info.size };
    } catch (err) {
      throw classify(err);
    }
  }
}

export function classify(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return new ImageTooLargeError(message);
  if (/unsupported image format|corrupt|premature end|invalid|bad seek|VipsJpeg|VipsPng/i.test(message)) {
    return new CorruptImageError(message);
  }
  return err instanceof Error ? err : new Error(message);
}
