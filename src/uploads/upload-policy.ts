import type { MediaKind } from '../database/entities/upload.entity';

/**
 * What Intake accepts by default: images, video, audio, PDF and plain text. Types are compared in
 * canonical form so `image/jpg` and `image/jpeg` are one type. Per-tenant policies will narrow this.
 */
export const DEFAULT_ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/heic',
  'image/tiff',
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'video/x-matroska',
  'audio/mpeg',
  'audio/mp4',
  'audio/wav',
  'audio/ogg',
  'audio/flac',
  'audio/aac',
  'application/pdf',
  'text/plain',
]);

const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/heif': 'image/heic',
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'audio/opus': 'audio/ogg',
  'video/x-m4v': 'video/mp4',
  'video/matroska': 'video/x-matroska',
};

/** Lower-cased, parameters dropped (`text/plain; charset=utf-8` -> `text/plain`), aliases resolved. */
export function canonicalType(contentType: string): string {
  const bare = contentType.split(';')[0]!.trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

export function isAllowedType(contentType: string, allowed: ReadonlySet<string> = DEFAULT_ALLOWED_TYPES): boolean {
  return allowed.has(canonicalType(contentType));
}

export function mediaKind(contentType: string): MediaKind {
  const type = canonicalType(contentType);
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}

export type SniffVerdict =
  | { ok: true; detectedType: string; kind: MediaKind }
  | { ok: false; code: 'TYPE_MISMATCH' | 'UNSUPPORTED_TYPE'; message: string };

/**
 * Decides whether the bytes back up the declared type. `sniffed` is what magic bytes say (undefined
 * when no signature matched, as for plain text); `sample` is the head of the file.
 */
export function judgeSniffedType(
  declared: string,
  sniffed: string | undefined,
  sample: Buffer,
  allowed: ReadonlySet<string> = DEFAULT_ALLOWED_TYPES,
): SniffVerdict {
  const want = canonicalType(declared);
  if (sniffed === undefined) {
    if (want === 'text/plain' && looksLikeText(sample)) return { ok: true, detectedType: 'text/plain', kind: 'document' };
    return {
      ok: false,
      code: 'TYPE_MISMATCH',
      message: `Declared ${want} but the content matches no known ${want === 'text/plain' ? 'text encoding' : 'file signature'}`,
    };
  }
  const got = canonicalType(sniffed);
  if (!allowed.has(got)) {
    return { ok: false, code: 'UNSUPPORTED_TYPE', message: `Content is ${got}, which the upload policy does not allow` };
  }
  if (got !== want && !sameContainer(want, got)) {
    return { ok: false, code: 'TYPE_MISMATCH', message: `Declared ${want} but the content is ${got}` };
  }
  return { ok: true, detectedType: got, kind: mediaKind(got) };
}

/** MP4 and QuickTime share the ISO-BMFF container and are routinely labelled as each other. */
function sameContainer(a: string, b: string): boolean {
  const isoBmff = new Set(['video/mp4', 'video/quicktime']);
  return isoBmff.has(a) && isoBmff.has(b);
}

/** UTF-8 (or ASCII) without NUL bytes; a cut multi-byte sequence at the end of the sample is fine. */
export function looksLikeText(sample: Buffer): boolean {
  if (sample.includes(0)) return false;
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  const bad = decoded.split('').filter((c) => c === '\uFFFD').length;
  return bad <= 3;
}
