import { ErrorCode } from '../common/errors';

/**
 * Something about the file itself that the media tools refuse: never retried, the upload is
 * rejected with `code`. The message is safe to show the tenant (no scratch paths, no tool banners,
 * no stderr); `detail` keeps the tool's own words for the logs.
 */
export abstract class MediaRejection extends Error {
  abstract readonly code: ErrorCode;

  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The image declares more pixels than MAX_IMAGE_PIXELS (a decompression bomb, or just too big). */
export class ImageTooLargeError extends MediaRejection {
  readonly code = ErrorCode.IMAGE_TOO_LARGE;
}

/** The bytes cannot be decoded as the image they were verified to be. */
export class CorruptImageError extends MediaRejection {
  readonly code = ErrorCode.CORRUPT_MEDIA;
}

/** ffmpeg/ffprobe cannot read the input with the demuxer its verified type calls for. */
export class CorruptVideoError extends MediaRejection {
  readonly code = ErrorCode.CORRUPT_MEDIA;
}

/** The decoder recognised another format than the verified type: the type decides, so refuse. */
export class DecoderMismatchError extends MediaRejection {
  readonly code = ErrorCode.TYPE_MISMATCH;
}

export type MediaLimitCode =
  | ErrorCode.VIDEO_TOO_LARGE
  | ErrorCode.VIDEO_TOO_LONG
  | ErrorCode.VIDEO_FRAME_RATE_TOO_HIGH
  | ErrorCode.TOO_MANY_STREAMS;

/** The media is over one of the configured video limits; checked before anything decodes it. */
export class MediaLimitError extends MediaRejection {
  constructor(
    readonly code: MediaLimitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The verified type has no decoder in Intake (a programming error upstream, not the file's fault). */
export class UnsupportedMediaTypeError extends Error {
  constructor(type: string, what: string) {
    super(`No ${what} is configured for verified type ${type}`);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/**
 * The rejection code for an error thrown by src/media, or undefined when the error is not about the
 * file (a missing binary, a full disk, an abort) and the activity should let it be retried.
 */
export function mediaRejectionCode(err: unknown): ErrorCode | undefined {
  return err instanceof MediaRejection ? err.code : undefined;
}
