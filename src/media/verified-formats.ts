import { canonicalType } from '../uploads/upload-policy';
import { UnsupportedMediaTypeError } from './media-errors';

/**
 * The verified type (magic bytes agreed with the declared type) decides which decoder may read a
 * file; the decoders' own format guessing never gets a say. These tables are the whole contract.
 */

/** What sharp's metadata().format must say for each accepted image type. */
const SHARP_FORMATS: Record<string, { format: string; compression?: 'av1' | 'hevc' }> = {
  'image/jpeg': { format: 'jpeg' },
  'image/png': { format: 'png' },
  'image/webp': { format: 'webp' },
  'image/gif': { format: 'gif' },
  'image/tiff': { format: 'tiff' },
  // libheif reads both; sharp reports format "heif" for either and tells them apart by codec.
  'image/heic': { format: 'heif', compression: 'hevc' },
  'image/avif': { format: 'heif', compression: 'av1' },
};

/** The only libvips loaders Intake lets sharp run (their subclasses: file, buffer, source). */
export const ALLOWED_SHARP_LOADERS = [
  'VipsForeignLoadJpeg',
  'VipsForeignLoadPng',
  'VipsForeignLoadWebp',
  'VipsForeignLoadNsgif',
  'VipsForeignLoadTiff',
  'VipsForeignLoadHeif',
] as const;

/** The ffmpeg demuxer (`-f`) for each accepted audio/video type, as `ffmpeg -demuxers` names them. */
const DEMUXERS: Record<string, string> = {
  'video/mp4': 'mov',
  'video/quicktime': 'mov',
  'audio/mp4': 'mov',
  'video/webm': 'matroska',
  'video/x-matroska': 'matroska',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/ogg': 'ogg',
  'audio/flac': 'flac',
  'audio/aac': 'aac',
};

export interface ExpectedImageFormat {
  format: string;
  compression?: 'av1' | 'hevc';
}

export function sharpFormatFor(type: string): ExpectedImageFormat {
  const expected = SHARP_FORMATS[canonicalType(type)];
  if (!expected) throw new UnsupportedMediaTypeError(type, 'image decoder');
  return expected;
}

/** Whether what sharp read from the header is the format the verified type promises. */
export function isExpectedImageFormat(
  expected: ExpectedImageFormat,
  header: { format?: string; compression?: string },
): boolean {
  if (header.format !== expected.format) return false;
  return expected.compression === undefined || header.compression === expected.compression;
}

export function demuxerFor(type: string): string {
  const demuxer = DEMUXERS[canonicalType(type)];
  if (!demuxer) throw new UnsupportedMediaTypeError(type, 'demuxer');
  return demuxer;
}

/**
 * Input options for every ffmpeg/ffprobe run on an upload: the demuxer is forced from the verified
 * type, and the only protocol allowed is the local file itself, so a playlist (HLS, ffconcat, one
 * hidden in another container or behind an ID3 tag) can never open another file or a URL.
 */
export function sandboxedInput(type: string, path: string): string[] {
  return ['-protocol_whitelist', 'file', '-f', demuxerFor(type), '-i', `file:${path}`];
}
