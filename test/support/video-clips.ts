import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * An H.264/AAC MP4 (testsrc2 + a sine, 30 fps) with a keyframe exactly every
 * `keyframeEverySeconds` and no others, so where a keyframe split can cut is known in advance.
 * `faststart` puts the moov atom first (a truncated copy still has its index); `audio: false`
 * leaves the sine out.
 */
export async function makeKeyframedClip(
  path: string,
  opts: { width: number; height: number; seconds: number; keyframeEverySeconds: number; faststart?: boolean; audio?: boolean },
): Promise<void> {
  const fps = 30;
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=${fps}`,
    ...(opts.audio === false ? [] : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']),
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

/** A stream copy of `input` whose display matrix turns it `degrees` (as a phone's portrait video is). */
export async function withRotation(input: string, output: string, degrees: number): Promise<void> {
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', input, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, output]);
}

/**
 * The first frame as displayed (ffmpeg applies any rotation), shrunk to `width` x `height` grey
 * pixels: enough to tell one picture from its rotated or squashed self.
 */
export async function firstFrameGrey(path: string, width: number, height: number): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-nostdin', '-i', path, '-frames:v', '1', '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    { encoding: 'buffer' },
  );
  return stdout;
}

/** Mean absolute difference of two same-sized grey pictures (0 identical, 255 opposite). */
export function greyDistance(a: Buffer, b: Buffer): number {
  if (a.length !== b.length || a.length === 0) throw new Error('pictures of different sizes');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** When the first video frame is shown: where an MPEG-TS piece sits on its rung's timeline. */
export async function videoStartOf(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=start_time', '-of', 'json', path]);
  return Number((JSON.parse(stdout) as { streams: Array<{ start_time: string }> }).streams[0]!.start_time);
}
