import { CorruptVideoError } from './media-errors';
import { runTool, ToolFailure, type ToolOutput, type ToolRunOptions } from './tool-process';

/** ffmpeg's words for input it cannot read; anything else (disk full, killed) is retried. */
const UNREADABLE_INPUT =
  /Invalid data found when processing input|moov atom not found|could not find codec parameters|EBML header parsing failed|not on whitelist|Error opening input|Failed to read frame size|Output file #0 does not contain any stream|Stream map '.*' matches no streams|Error while decoding|matches no streams/i;

/**
 * One ffmpeg run on an upload's file (its input given with sandboxedInput): a refusal of the input
 * becomes CorruptVideoError (the file's fault, never retried); anything else stays a plain error
 * (a missing binary, a kill, a full disk) and is retried. Same rule as VideoTranscoder's runs.
 */
export async function runFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  type: string,
  opts: ToolRunOptions = {},
): Promise<ToolOutput> {
  try {
    return await runTool(ffmpegPath, ['-nostdin', '-hide_banner', ...args], opts);
  } catch (err) {
    throw asCorruptVideo(err, type);
  }
}

/**
 * The error to throw for a failed ffmpeg run on `what`: CorruptVideoError when ffmpeg itself said
 * the input is unreadable, else the error unchanged (retried). Every ffmpeg caller classifies here.
 */
export function asCorruptVideo(err: unknown, what: string): unknown {
  // The fatal reason is at the end; earlier lines may be warnings about a file that was fine.
  if (err instanceof ToolFailure && err.exitSignal === null && UNREADABLE_INPUT.test(lastLines(err.stderr, 8))) {
    return new CorruptVideoError(`The content cannot be decoded as ${what}`, err.stderr.trim());
  }
  return err;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

export interface ProgressOptions {
  /** The input's duration (readAv's): ffmpeg reports time done, this makes it a fraction. */
  durationSeconds?: number | null;
  /** 0..1, as ffmpeg's `-progress` reports; long runs heartbeat with it. */
  onProgress?: (fraction: number) => void;
}

/** Arguments and a stdout reader that turn ffmpeg's `-progress pipe:1` lines into onProgress calls. */
export function progressReporting({ durationSeconds, onProgress }: ProgressOptions): {
  args: string[];
  onStdoutLine?: (line: string) => void;
} {
  if (!onProgress || !durationSeconds || durationSeconds <= 0) return { args: [] };
  return {
    args: ['-progress', 'pipe:1', '-nostats'],
    onStdoutLine: (line) => {
      const m = /^out_time_us=(\d+)$/.exec(line);
      if (m) onProgress(Math.max(0, Math.min(1, Number(m[1]) / 1e6 / durationSeconds)));
    },
  };
}
