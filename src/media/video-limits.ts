import type { AppConfig } from '../config/config';
import { ErrorCode } from '../common/errors';
import { MediaLimitError } from './media-errors';
import type { AvMetadata } from './metadata-reader';

export interface VideoLimits {
  maxWidth: number;
  maxHeight: number;
  maxPixels: number;
  maxDurationSeconds: number;
  maxFrameRate: number;
  maxStreams: number;
}

/** The settings the video limits come from. */
export type VideoLimitSettings = Pick<
  AppConfig,
  | 'VIDEO_MAX_WIDTH'
  | 'VIDEO_MAX_HEIGHT'
  | 'VIDEO_MAX_PIXELS'
  | 'VIDEO_MAX_DURATION_SECONDS'
  | 'VIDEO_MAX_FRAME_RATE'
  | 'VIDEO_MAX_STREAMS'
>;

export function videoLimitsFrom(config: VideoLimitSettings): VideoLimits {
  return {
    maxWidth: config.VIDEO_MAX_WIDTH,
    maxHeight: config.VIDEO_MAX_HEIGHT,
    maxPixels: config.VIDEO_MAX_PIXELS,
    maxDurationSeconds: config.VIDEO_MAX_DURATION_SECONDS,
    maxFrameRate: config.VIDEO_MAX_FRAME_RATE,
    maxStreams: config.VIDEO_MAX_STREAMS,
  };
}

/**
 * Refuses, from ffprobe's header figures alone, media that would cost too much to decode. Run it
 * on readAv's result before transcoding or extracting a frame. Unknown figures (a stream without
 * a duration) pass: the decoders' own limits still apply to them.
 */
export function assertVideoWithinLimits(
  meta: Pick<AvMetadata, 'width' | 'height' | 'durationSeconds' | 'frameRate' | 'streams'>,
  limits: VideoLimits,
): void {
  if (meta.streams > limits.maxStreams) {
    throw new MediaLimitError(
      ErrorCode.TOO_MANY_STREAMS,
      `The file has ${meta.streams} streams; at most ${limits.maxStreams} are allowed`,
    );
  }
  const { width, height } = meta;
  if (width !== null && width > limits.maxWidth) {
    throw new MediaLimitError(ErrorCode.VIDEO_TOO_LARGE, `Video is ${width} px wide; at most ${limits.maxWidth} is allowed`);
  }
  if (height !== null && height > limits.maxHeight) {
    throw new MediaLimitError(ErrorCode.VIDEO_TOO_LARGE, `Video is ${height} px high; at most ${limits.maxHeight} is allowed`);
  }
  if (width !== null && height !== null && width * height > limits.maxPixels) {
    throw new MediaLimitError(
      ErrorCode.VIDEO_TOO_LARGE,
      `Video frames have ${width * height} pixels; at most ${limits.maxPixels} are allowed`,
    );
  }
  if (meta.durationSeconds !== null && meta.durationSeconds > limits.maxDurationSeconds) {
    throw new MediaLimitError(
      ErrorCode.VIDEO_TOO_LONG,
      `Media lasts ${meta.durationSeconds} s; at most ${limits.maxDurationSeconds} s is allowed`,
    );
  }
  if (meta.frameRate !== null && meta.frameRate > limits.maxFrameRate) {
    throw new MediaLimitError(
      ErrorCode.VIDEO_FRAME_RATE_TOO_HIGH,
      `Video runs at ${meta.frameRate} frames per second; at most ${limits.maxFrameRate} is allowed`,
    );
  }
}
