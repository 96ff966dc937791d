import { ErrorCode } from '../../src/common/errors';
import {
  CorruptImageError,
  CorruptVideoError,
  DecoderMismatchError,
  ImageTooLargeError,
  MediaLimitError,
  mediaRejectionCode,
} from '../../src/media/media-errors';
import { ToolFailure } from '../../src/media/tool-process';
import { demuxerFor, isExpectedImageFormat, sandboxedInput, sharpFormatFor } from '../../src/media/verified-formats';
import { parseDurationUs } from '../../src/media/video-transcoder';
import { DEFAULT_ALLOWED_TYPES, mediaKind } from '../../src/uploads/upload-policy';
import { REJECTION_CODES } from '../../workflows/contract';

describe('the verified type picks the decoder', () => {
  it('has a decoder for every image, video and audio type the policy allows', () => {
    for (const type of DEFAULT_ALLOWED_TYPES) {
      const kind = mediaKind(type);
      if (kind === 'image') expect(() => sharpFormatFor(type)).not.toThrow();
      if (kind === 'video' || kind === 'audio') expect(() => demuxerFor(type)).not.toThrow();
    }
  });

  it('forces the demuxer ffmpeg names for each container', () => {
    expect(
      ['video/mp4', 'video/quicktime', 'audio/mp4', 'video/webm', 'video/x-matroska', 'audio/mpeg', 'audio/wav', 'audio/ogg', 'audio/flac', 'audio/aac'].map(
        demuxerFor,
      ),
    ).toEqual(['mov', 'mov', 'mov', 'matroska', 'matroska', 'mp3', 'wav', 'ogg', 'flac', 'aac']);
    // Aliases resolve like everywhere else.
    expect(demuxerFor('audio/mp3; charset=binary')).toBe('mp3');
  });

  it('refuses types it has no decoder for rather than letting a decoder guess', () => {
    expect(() => demuxerFor('application/x-mpegurl')).toThrow('No demuxer is configured for verified type application/x-mpegurl');
    expect(() => sharpFormatFor('image/svg+xml')).toThrow('No image decoder is configured');
    expect(() => demuxerFor('image/png')).toThrow();
  });

  it('tells HEIC from AVIF by codec, since sharp calls both "heif"', () => {
    expect(isExpectedImageFormat(sharpFormatFor('image/avif'), { format: 'heif', compression: 'av1' })).toBe(true);
    expect(isExpectedImageFormat(sharpFormatFor('image/avif'), { format: 'heif', compression: 'hevc' })).toBe(false);
    expect(isExpectedImageFormat(sharpFormatFor('image/heic'), { format: 'heif', compression: 'hevc' })).toBe(true);
    expect(isExpectedImageFormat(sharpFormatFor('image/jpeg'), { format: 'png' })).toBe(false);
    expect(isExpectedImageFormat(sharpFormatFor('image/jpg'), { format: 'jpeg' })).toBe(true);
  });

  it('gives ffmpeg the file itself, read only through the file protocol, with the demuxer forced', () => {
    expect(sandboxedInput('video/webm', '/w/http:x')).toEqual([
      '-protocol_whitelist', 'file', '-f', 'matroska', '-i', 'file:/w/http:x',
    ]);
  });
});

describe('mediaRejectionCode', () => {
  it('maps each media rejection to its catalogued code', () => {
    expect(
      [
        new ImageTooLargeError('x'),
        new CorruptImageError('x'),
        new CorruptVideoError('x'),
        new DecoderMismatchError('x'),
        new MediaLimitError(ErrorCode.VIDEO_TOO_LONG, 'x'),
      ].map(mediaRejectionCode),
    ).toEqual([
      ErrorCode.IMAGE_TOO_LARGE,
      ErrorCode.CORRUPT_MEDIA,
      ErrorCode.CORRUPT_MEDIA,
      ErrorCode.TYPE_MISMATCH,
      ErrorCode.VIDEO_TOO_LONG,
    ]);
  });

  it('leaves errors that are not about the file to be retried', () => {
    expect(mediaRejectionCode(new ToolFailure('ffmpeg', null, 'SIGKILL', ''))).toBeUndefined();
    expect(mediaRejectionCode(new Error('ENOSPC'))).toBeUndefined();
    expect(mediaRejectionCode('nope')).toBeUndefined();
  });

  it('only produces codes the workflow treats as rejections', () => {
    const codes = [
      ErrorCode.IMAGE_TOO_LARGE,
      ErrorCode.CORRUPT_MEDIA,
      ErrorCode.TYPE_MISMATCH,
      ErrorCode.VIDEO_TOO_LARGE,
      ErrorCode.VIDEO_TOO_LONG,
      ErrorCode.VIDEO_FRAME_RATE_TOO_HIGH,
      ErrorCode.TOO_MANY_STREAMS,
    ];
    expect(codes.filter((c) => !REJECTION_CODES.has(c))).toEqual([]);
  });

  it('keeps tool output out of the message and in detail', () => {
    const err = new CorruptVideoError('The content cannot be read as video/mp4', '/tmp/intake-work/u-1/source: moov atom not found');
    expect(err.message).toBe('The content cannot be read as video/mp4');
    expect(err.detail).toContain('moov atom');
    expect(err.name).toBe('CorruptVideoError');
  });
});

describe('parseDurationUs', () => {
  it('reads the input duration from ffmpeg\'s description of it', () => {
    expect(parseDurationUs('  Duration: 01:02:03.50, start: 0.000000, bitrate: 1 kb/s')).toBe(3723.5e6);
    expect(parseDurationUs('  Duration: N/A, bitrate: N/A')).toBeUndefined();
  });
});
