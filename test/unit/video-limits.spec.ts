import { ErrorCode } from '../../src/common/errors';
import { MediaLimitError } from '../../src/media/media-errors';
import { assertVideoWithinLimits, VideoLimits, videoLimitsFrom } from '../../src/media/video-limits';
import { loadConfig } from '../../src/config/config';

const limits: VideoLimits = {
  maxWidth: 1920,
  maxHeight: 1080,
  maxPixels: 1920 * 1080,
  maxDurationSeconds: 60,
  maxFrameRate: 60,
  maxStreams: 4,
};

const fine = { width: 1920, height: 1080, durationSeconds: 60, frameRate: 60, streams: 4 };

function codeOf(meta: typeof fine | Record<string, unknown>): ErrorCode | undefined {
  try {
    assertVideoWithinLimits({ ...fine, ...meta }, limits);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(MediaLimitError);
    return (err as MediaLimitError).code;
  }
}

describe('assertVideoWithinLimits', () => {
  it('passes media exactly at every limit, and media whose figures are unknown', () => {
    expect(codeOf(fine)).toBeUndefined();
    expect(codeOf({ width: null, height: null, durationSeconds: null, frameRate: null })).toBeUndefined();
  });

  it.each([
    [{ width: 1921 }, ErrorCode.VIDEO_TOO_LARGE],
    [{ height: 1081 }, ErrorCode.VIDEO_TOO_LARGE],
    [{ durationSeconds: 60.01 }, ErrorCode.VIDEO_TOO_LONG],
    [{ frameRate: 60.5 }, ErrorCode.VIDEO_FRAME_RATE_TOO_HIGH],
    [{ streams: 5 }, ErrorCode.TOO_MANY_STREAMS],
  ])('%j -> %s', (over, code) => {
    expect(codeOf(over)).toBe(code);
  });

  it('counts pixels, not just sides', () => {
    const squat = { ...limits, maxPixels: 1000 * 1000 };
    expect(() => assertVideoWithinLimits({ ...fine, width: 1001, height: 1000 }, squat)).toThrow(
      expect.objectContaining({ code: ErrorCode.VIDEO_TOO_LARGE }),
    );
  });

  it('says what is over in a message with no paths in it', () => {
    expect(() => assertVideoWithinLimits({ ...fine, durationSeconds: 7200 }, limits)).toThrow(
      'Media lasts 7200 s; at most 60 s is allowed',
    );
  });

  it('reads its limits from the configuration', () => {
    const config = loadConfig({
      VIDEO_MAX_WIDTH: '640',
      VIDEO_MAX_HEIGHT: '480',
      VIDEO_MAX_PIXELS: '300000',
      VIDEO_MAX_DURATION_SECONDS: '30',
      VIDEO_MAX_FRAME_RATE: '30',
      VIDEO_MAX_STREAMS: '3',
    });
    expect(videoLimitsFrom(config)).toEqual({
      maxWidth: 640,
      maxHeight: 480,
      maxPixels: 300000,
      maxDurationSeconds: 30,
      maxFrameRate: 30,
      maxStreams: 3,
    });
  });
});
