import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * An H.264/AAC MP4 (testsrc2 + a sine, 30 fps) with a keyframe exactly every
 * `keyframeEverySeconds` and no others, so where a keyframe split can cut is known in advance.
 * `faststart` puts the moov atom first (a truncated copy still has its index).
 */
export async function makeKeyframedClip(
  path: string,
  opts: { width: number; height: number; seconds: number; keyframeEverySeconds: number; faststart?: boolean },
): Promise<void> {
  const fps = 30;
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=${fps}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-g', String(opts.keyframeEverySeconds * fps), '-sc_threshold', '0',
    '-c:a', 'aac', '-shortest',
    ...(opts.faststart ? ['-movflags', '+faststart'] : []),
    path,
  ]);
}

/** Decodes every frame of every stream; rejects with ffmpeg's stderr on the first error. */
export async function decodeFully(path: string): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-xerror', '-nostdin', '-i', path, '-f', 'null', '-']);
}
