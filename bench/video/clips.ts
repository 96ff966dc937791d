import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { makeKeyframedClip } from '../../test/support/video-clips';

const run = promisify(execFile);

/** Keyframes every 2 s, as a camera or screen recorder writes them: where a split can cut. */
const KEYFRAME_EVERY_SECONDS = 2;

export interface Clip {
  path: string;
  bytes: number;
  seconds: number;
}

async function clipAt(path: string): Promise<Clip> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  return { path, bytes: (await stat(path)).size, seconds: Number(stdout.trim()) };
}

/** A moving test picture with a tone (H.264/AAC MP4, 30 fps), quick to make (`-preset ultrafast`). */
export async function makeTestClip(path: string, width: number, height: number, seconds: number): Promise<Clip> {
  await makeKeyframedClip(path, { width, height, seconds, keyframeEverySeconds: KEYFRAME_EVERY_SECONDS, faststart: true });
  return clipAt(path);
}

/**
 * A stream copy of the clip's first `seconds` (all of it when undefined) with `tag` in its
 * metadata: different bytes each time, so no cache keyed on a hash (clamd's) makes a run cheaper.
 */
export async function taggedCopy(input: string, output: string, tag: string, seconds?: number): Promise<Clip> {
  await run('ffmpeg', [
    '-loglevel', 'error', '-y', '-i', input,
    ...(seconds === undefined ? [] : ['-t', String(seconds)]),
    '-map', '0', '-c', 'copy', '-metadata', `comment=${tag}`, '-movflags', '+faststart', output,
  ]);
  return clipAt(output);
}

/**
 * A 1080p video of about `bytes`: two seconds of a moving picture with grain, at a camera's
 * bitrate (~100 Mbit/s with `-preset ultrafast`), looped by stream copy up to the size: seconds to
 * make a 2 GB file instead of the half hour an encode of that length would take here.
 */
export async function makeLargeVideo(path: string, seedPath: string, bytes: number): Promise<Clip> {
  const seedSeconds = KEYFRAME_EVERY_SECONDS;
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seedSeconds), '-vf', 'noise=alls=12:allf=t',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-g', String(seedSeconds * 30), '-c:a', 'aac', '-shortest', seedPath,
  ]);
  const seed = await clipAt(seedPath);
  const seconds = (bytes / seed.bytes) * seed.seconds;
  const loops = Math.ceil(bytes / seed.bytes);
  await run('ffmpeg', [
    '-loglevel', 'error', '-y', '-stream_loop', String(loops), '-i', seedPath,
    '-t', seconds.toFixed(3), '-map', '0', '-c', 'copy', path,
  ]);
  return clipAt(path);
}
