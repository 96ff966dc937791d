import { imageRejection, openVerifiedImage, restrictImageLoaders } from './image-header';

// Kept importable from here, where the pipeline has always found them.
export { CorruptImageError, DecoderMismatchError, ImageTooLargeError } from './media-errors';

export interface RenderedImage {
  width: number;
  height: number;
  size: number;
}

export interface ImageProcessorOptions {
  /** Decompression-bomb guard: inputs whose header declares more pixels are refused undecoded. */
  maxInputPixels: number;
}

export interface RenderOptions {
  /** The verified type: only its decoder may read the input. */
  type: string;
  /** Long side of the output; never enlarged. */
  maxDimension: number;
  quality?: number;
}

/**
 * Image renditions with sharp. Every output is auto-oriented from EXIF and carries no metadata
 * (sharp strips it unless asked to keep it), so GPS never leaves the original.
 */
export class ImageProcessor {
  constructor(private readonly options: ImageProcessorOptions) {
    restrictImageLoaders();
  }

  /** A WebP no larger than `maxDimension` on its long side. */
  async renderWebp(input: string, output: string, { type, maxDimension, quality = 80 }: RenderOptions): Promise<RenderedImage> {
    const { image } = await openVerifiedImage(input, type, this.options.maxInputPixels);
    try {
      const info = await image
        .autoOrient()
        .resize({ width: maxDimension, height: maxDimension, fit: 'inside', withoutEnlargement: true })
        .webp({ quality, effort: 4 })
        .toFile(output);
      return { width: info.width, height: info.height, size: info.size };
    } catch (err) {
      throw imageRejection(err, type);
    }
  }
}
