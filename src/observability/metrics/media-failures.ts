import { basename } from 'node:path';
import {
  CorruptImageError,
  CorruptVideoError,
  DecoderMismatchError,
  ImageTooLargeError,
  MediaLimitError,
} from '../../media/media-errors';
import { ToolFailure, ToolUnavailableError } from '../../media/tool-process';

export type MediaTool = 'ffmpeg' | 'ffprobe' | 'sharp' | 'other';
export type MediaFailureKind = 'unreadable' | 'limit' | 'crash' | 'unavailable';

/** The media error a rejection was made from: a property the failure converter never serialises. */
const MEDIA_ERROR = Symbol('mediaError');

/** Remembers on `failure` (the activity's rejection) which media error it stands for, for the metrics. */
export function withMediaError<T extends object>(failure: T, err: unknown): T {
  Object.defineProperty(failure, MEDIA_ERROR, { value: err, enumerable: false });
  return failure;
}

/**
 * Which tool failed and how, for an error an activity threw (or the media error behind its
 * rejection); undefined when it is not a media tool's. Image errors come from sharp (image-header),
 * video limits from ffprobe's measurements, unreadable video from ffmpeg or ffprobe.
 */
export function mediaFailureLabels(err: unknown): { tool: MediaTool; kind: MediaFailureKind } | undefined {
  const source: unknown = (err as { [MEDIA_ERROR]?: unknown } | null)?.[MEDIA_ERROR] ?? err;
  if (source instanceof ToolFailure) return { tool: toolNamed(source.tool), kind: 'crash' };
  if (source instanceof ToolUnavailableError) return { tool: toolNamed(source.tool), kind: 'unavailable' };
  if (source instanceof CorruptImageError || source instanceof DecoderMismatchError) return { tool: 'sharp', kind: 'unreadable' };
  if (source instanceof ImageTooLargeError) return { tool: 'sharp', kind: 'limit' };
  if (source instanceof MediaLimitError) return { tool: 'ffprobe', kind: 'limit' };
  if (source instanceof CorruptVideoError) return { tool: 'ffmpeg', kind: 'unreadable' };
  return undefined;
}

/** FFMPEG_PATH may be any path: the label is the tool, never the path. */
function toolNamed(binary: string): MediaTool {
  const name = basename(binary);
  if (name.includes('ffprobe')) return 'ffprobe';
  if (name.includes('ffmpeg')) return 'ffmpeg';
  return 'other';
}
