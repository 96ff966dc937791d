import sharp, { Metadata, Sharp } from 'sharp';
import { CorruptImageError, DecoderMismatchError, ImageTooLargeError } from './media-errors';
import { ALLOWED_SHARP_LOADERS, isExpectedImageFormat, sharpFormatFor } from './verified-formats';

/**
 * libvips can load far more than Intake accepts (SVG, PDF, ImageMagick, OpenSlide, FITS, matrix,
 * CSV, .vips, raw camera files ...), each a parser an attacker could aim at. Block every loader
 * for the whole process and unblock only the formats in the upload policy. Idempotent.
 */
export function restrictImageLoaders(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: [...ALLOWED_SHARP_LOADERS] });
}

/**
 * Opens `path` with sharp and checks its header before any pixel is decoded: the format must be
 * the one the verified type promises, and the declared size within `maxInputPixels`.
 */
export async function openVerifiedImage(
  path: string,
  type: string,
  maxInputPixels: number,
): Promise<{ image: Sharp; header: Metadata }> {
  const expected = sharpFormatFor(type);
  // No limit on the header read itself, so the size check below can say what the file declares.
  const header = await sharp(path, { limitInputPixels: false, failOn: 'error' })
    .metadata()
    .catch((err: unknown) => {
      throw imageRejection(err, type);
    });
  if (!isExpectedImageFormat(expected, header)) {
    const found = [header.format, header.compression].filter(Boolean).join('/') || 'unknown';
    throw new DecoderMismatchError(`The content is not ${type} (the image decoder found ${found})`);
  }
  // Refused on the declaration alone: no pixel of a decompression bomb is ever decoded.
  if ((header.width ?? 0) * (header.height ?? 0) > maxInputPixels) {
    throw new ImageTooLargeError(
      `The image declares ${header.width}x${header.height} pixels; at most ${maxInputPixels} are allowed`,
    );
  }
  // The pipeline the caller decodes with enforces the limit once more.
  return { image: sharp(path, { limitInputPixels: maxInputPixels, failOn: 'error' }), header };
}

/**
 * sharp's error for a refused input as a typed rejection with a message fit for the tenant (no
 * paths, no libvips internals; those go to `detail`). Errors that are not about the file (a
 * missing input, out of memory) are returned unchanged, to be retried.
 */
export function imageRejection(err: unknown, type: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return new ImageTooLargeError('The image has more pixels than allowed', message);
  }
  if (/unsupported image format/i.test(message)) {
    // Every loader but the allowed ones is blocked, so this is content no allowed decoder claims.
    return new DecoderMismatchError(`The content is not ${type}`, message);
  }
  if (/corrupt|premature end|invalid|bad seek|truncated|VipsJpeg|VipsPng|VipsForeignLoad|gifload|webp|tiff|heif/i.test(message)) {
    return new CorruptImageError(`The content cannot be decoded as ${type}`, message);
  }
  return err instanceof Error ? err : new Error(message);
}
