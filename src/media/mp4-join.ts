import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { runTool } from './tool-process';

export interface Mp4JoinerOptions {
  ffmpegPath: string;
}

/**
 * The last step of a segmented transcode: one rung's MPEG-TS pieces, in order, into the
 * `optimized` MP4 without re-encoding (concat demuxer, stream copy, moov up front).
 */
export class Mp4Joiner {
  constructor(private readonly options: Mp4JoinerOptions) {}

  async joinToMp4(pieces: readonly string[], output: string, signal?: AbortSignal): Promise<void> {
    if (pieces.length === 0) throw new Error('joinToMp4 needs at least one piece');
    // The list sits beside the output in a directory of its own, so concurrent joins never share it.
    const dir = await mkdtemp(join(dirname(output), '.join-'));
    const list = join(dir, 'pieces.ffconcat');
    try {
      await writeFile(list, ['ffconcat version 1.0', ...pieces.map((p) => `file ${concatPath(p)}`), ''].join('\n'));
      await runTool(this.options.ffmpegPath, [
        '-nostdin', '-hide_banner', '-loglevel', 'error',
        // Our own list of our own pieces: absolute paths (-safe 0), local files only.
        '-protocol_whitelist', 'file', '-f', 'concat', '-safe', '0', '-i', `file:${list}`,
        '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-bsf:a', 'aac_adtstoasc',
        '-map_metadata', '-1', '-movflags', '+faststart',
        '-f', 'mp4', '-y', `file:${output}`,
      ], { signal });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** An absolute path, quoted for ffconcat (a quote inside closes, escapes and reopens). */
function concatPath(path: string): string {
  if (!isAbsolute(path) || /[\r\n]/.test(path)) throw new Error(`Not a piece path: ${JSON.stringify(path)}`);
  return `'file:${path.replace(/'/g, `'\\''`)}'`;
}
