import { ChildProcess, execFile, spawn } from 'node:child_process';
import { ExifTool } from 'exiftool-vendored';
import ffmpeg from 'fluent-ffmpeg';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

const run = promisify(execFile);

/** The EICAR test string: every scanner flags it, it harms nothing. */
export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

export const PHOTO_GPS = { latitude: 48.8584, longitude: 2.2945, altitude: 35 };

/** A photo-like gradient image, encoded as requested. */
export async function makeImage(path: string, width: number, height: number, format: 'jpeg' | 'png'): Promise<void> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = ((x + y) * 97) % 256;
    }
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  await (format === 'jpeg' ? image.jpeg({ quality: 85 }) : image.png()).toFile(path);
}

/**
 * A 640x480 JPEG whose EXIF says "rotate 90° clockwise" (orientation 6), taken at the Eiffel Tower:
 * displayed, it is 480x640.
 */
export async function makeRotatedGpsJpeg(path: string): Promise<void> {
  await makeImage(path, 640, 480, 'jpeg');
  const exiftool = new ExifTool({ maxProcs: 1 });
  try {
    await exiftool.write(
      path,
      {
        // exiftool-vendored derives the GPS *Ref tags from the signs; Orientation takes its printed form.
        Orientation: 'Rotate 90 CW',
        GPSLatitude: PHOTO_GPS.latitude,
        GPSLongitude: PHOTO_GPS.longitude,
        GPSAltitude: PHOTO_GPS.altitude,
        Make: 'IntakeCam',
        Model: 'Test One',
        DateTimeOriginal: '2024:05:06 07:08:09',
      } as never,
      { writeArgs: ['-overwrite_original'] },
    );
  } finally {
    await exiftool.end();
  }
}

/** An H.264/AAC MP4 from ffmpeg's test sources (mono 44.1 kHz audio unless `audio` says otherwise). */
export async function makeVideo(
  path: string,
  opts: { width: number; height: number; seconds: number; fps?: number; audio?: { sampleRate: number; channels: number } },
) {
  const audio = opts.audio ?? { sampleRate: 44100, channels: 1 };
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${opts.width}x${opts.height}:rate=${opts.fps ?? 25}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${audio.sampleRate}`,
    '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ac', String(audio.channels), '-shortest', path,
  ]);
}

/**
 * A video whose first `leadSeconds` are one flat colour (black, or grey) before `testsrc2`'s busy
 * picture: what a naive "first frame" poster gets wrong.
 */
export async function makeLeadInVideo(
  path: string,
  opts: { lead: 'black' | 'gray'; leadSeconds: number; seconds: number; width: number; height: number; oneKeyframe?: boolean },
) {
  const size = `${opts.width}x${opts.height}`;
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=${opts.lead}:size=${size}:rate=25:duration=${opts.leadSeconds}`,
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${opts.seconds - opts.leadSeconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${opts.seconds}`,
    '-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]',
    '-map', '[v]', '-map', '2:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    // One GOP: the only keyframe is the lead-in's first frame (a screen recording can look like this).
    ...(opts.oneKeyframe ? ['-x264-params', 'keyint=100000:min-keyint=100000:scenecut=0'] : []),
    path,
  ]);
}

/**
 * The same video with a display matrix that turns it 90° clockwise (a portrait phone video; ffprobe
 * shows rotation -90). ffmpeg 5.1 writes the matrix from the legacy `rotate` tag, counter-clockwise.
 */
export async function rotateVideo(input: string, output: string) {
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', input, '-c', 'copy', '-metadata:s:v:0', 'rotate=270', output]);
}

/** A 440 Hz tone `gainDb` below the sine source's own level (about -18 dBFS peak), as WAV. */
export async function makeTone(path: string, opts: { seconds: number; gainDb: number; sampleRate?: number; channels?: number }) {
  await run('ffmpeg', [
    '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${opts.sampleRate ?? 48000}:duration=${opts.seconds}`,
    '-af', `volume=${opts.gainDb}dB`, '-ac', String(opts.channels ?? 1), '-c:a', 'pcm_s16le', path,
  ]);
}

/** Integrated loudness (LUFS) as ffmpeg's ebur128 filter measures it, independently of loudnorm. */
export async function integratedLoudness(path: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostats', '-i', path, '-map', '0:a:0', '-af', 'ebur128', '-f', 'null', '-']);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const m = /I:\s+(-?[\d.]+) LUFS/.exec(summary);
  if (!m) throw new Error(`ebur128 printed no integrated loudness:\n${summary}`);
  return Number(m[1]);
}

export interface Probed {
  formatName: string;
  duration: number;
  video?: { codec: string; width: number; height: number };
  audio?: { codec: string };
}

export async function probe(path: string): Promise<Probed> {
  const data = await new Promise<ffmpeg.FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(path, (err, d) => (err ? reject(err) : resolve(d))),
  );
  const v = data.streams.find((s) => s.codec_type === 'video');
  const a = data.streams.find((s) => s.codec_type === 'audio');
  return {
    formatName: data.format.format_name ?? '',
    duration: Number(data.format.duration),
    video: v ? { codec: v.codec_name!, width: v.width!, height: v.height! } : undefined,
    audio: a ? { codec: a.codec_name! } : undefined,
  };
}

/** Top-level MP4 boxes in file order: faststart puts `moov` before `mdat`. */
export function mp4Boxes(buf: Buffer): string[] {
  const boxes: string[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(offset + 8));
    boxes.push(type);
    if (size < 8) break;
    offset += size;
  }
  return boxes;
}

/**
 * A valid, tiny PNG whose IHDR declares `width` x `height`: a decompression bomb's header with
 * none of its bytes (sharp cannot encode such an image, so the chunks are written by hand).
 */
export async function makePngDeclaring(path: string, width: number, height: number): Promise<void> {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter, no interlace
  await writeFile(
    path,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), // one row; the rest is "missing"
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/** An SVG: a format libvips can load (librsvg) and Intake never accepts. */
export const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>',
);

/** A small image in each format sharp can write, from raw pixels (no loader involved). */
export async function encodeImage(path: string, format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'): Promise<void> {
  const width = 48;
  const height = 32;
  const pixels = Buffer.alloc(width * height * 3, 0x80);
  await sharp(pixels, { raw: { width, height, channels: 3 } }).toFormat(format).toFile(path);
}

/** An HLS playlist whose single segment is `uri` (a local file name or a URL). */
export async function writeHlsPlaylist(path: string, uri: string, prefix: Buffer = Buffer.alloc(0)): Promise<void> {
  const playlist = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${uri}\n#EXT-X-ENDLIST\n`;
  await writeFile(path, Buffer.concat([prefix, Buffer.from(playlist)]));
}

/** An empty ID3v2.4 tag: ffmpeg's probing skips it and looks at what follows. */
export const ID3_TAG = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);

/** An ffconcat script that splices in `file` (resolved next to the script). */
export async function writeFfconcat(path: string, file: string): Promise<void> {
  await writeFile(path, `ffconcat version 1.0\nfile '${file}'\n`);
}

/** Copies a video into another container without re-encoding (`mkv`: Matroska with H.264). */
export async function remux(input: string, output: string): Promise<void> {
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', input, '-c', 'copy', output]);
}

/** A TCP listener on 127.0.0.1 that only counts who connects: the playlist tests expect nobody. */
export async function connectionRecorder(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/segment.ts`,
    connections: () => count,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Processes whose parent is `ppid`, whose name is `name` and that have `arg` among their arguments. */
export function childProcesses(ppid: number, name: string, arg: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid !== ppid || stat.name !== name) continue;
    if (procArgs(Number(entry)).some((a) => a.includes(arg))) found.push(Number(entry));
  }
  return found;
}

function procArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

/** Gone, or a zombie waiting to be reaped: either way it runs no more. */
export function isDead(pid: number): boolean {
  const stat = procStat(pid);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

/**
 * Asleep in a system call on `path` (a read of the FIFO it waits on): past its start-up, writing
 * nothing, so only a signal can end it.
 */
export function isBlockedOn(pid: number, path: string): boolean {
  try {
    if (procStat(pid)?.state !== 'S') return false;
    // "<syscall number> <first argument, here the fd> ...": the fd must be the file.
    const fd = Number.parseInt(readFileSync(`/proc/${pid}/syscall`, 'latin1').split(' ')[1] ?? '', 16);
    return Number.isInteger(fd) && readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
  } catch {
    return false;
  }
}

function procStat(pid: number): { name: string; state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may itself contain spaces and parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const [state, ppid] = text.slice(close + 2).split(' ');
  return { name: text.slice(open + 1, close), state: state!, ppid: Number(ppid) };
}

const REPO = resolve(__dirname, '..', '..');

/**
 * A separate node process standing in for a worker: it compiles src/media with swc (as jest does)
 * and runs VideoTranscoder.transcodeMp4 on `input`, so a test can kill it mid-transcode.
 */
export function startTranscodeProcess(input: string, output: string, type: string): ChildProcess {
  return startMediaProcess(
    `const { VideoTranscoder } = require(${JSON.stringify(join(REPO, 'src/media/video-transcoder.ts'))});
    new VideoTranscoder({ ffmpegPath: 'ffmpeg', maxDimension: 1920 })
      .transcodeMp4(process.env.INPUT, process.env.OUTPUT, { type: process.env.TYPE })
      .then(() => console.log('transcode finished'), (err) => console.log('transcode failed', err.message));`,
    { INPUT: input, OUTPUT: output, TYPE: type },
  );
}

/**
 * A separate node process that reads an image's metadata with MetadataReader (a long-lived
 * exiftool) and prints "read", then stays up, so a test can kill it with exiftool running.
 */
export function startMetadataProcess(image: string): ChildProcess {
  return startMediaProcess(
    `const { MetadataReader } = require(${JSON.stringify(join(REPO, 'src/media/metadata-reader.ts'))});
    new MetadataReader({ ffprobePath: 'ffprobe' })
      .readImage(process.env.INPUT, 'image/png')
      .then(() => console.log('read'), (err) => console.log('read failed', err.message));
    setInterval(() => {}, 1000);`,
    { INPUT: image },
  );
}

/** Runs `body` in a new node process that can require the project's TypeScript sources. */
function startMediaProcess(body: string, env: Record<string, string>): ChildProcess {
  const script = `
    const swc = require('@swc/core');
    const fs = require('node:fs');
    require.extensions['.ts'] = (module, filename) => {
      const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
        filename,
        jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2023' },
        module: { type: 'commonjs' },
      });
      module._compile(code, filename);
    };
    ${body}
  `;
  return spawn(process.execPath, ['-e', script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface ParsedCue {
  start: number;
  end: number;
  url: string;
  xywh: [number, number, number, number];
}

/** Just enough WebVTT for storyboards: a WEBVTT header, then blank-line separated timed cues. */
export function parseStoryboardVtt(text: string): ParsedCue[] {
  const [header, ...blocks] = text.trim().split(/\n\n+/);
  if (!/^WEBVTT(\s|$)/.test(header!)) throw new Error('not a WebVTT file');
  const time = (t: string) => {
    const m = /^(?:(\d+):)?(\d\d):(\d\d)\.(\d{3})$/.exec(t);
    if (!m) throw new Error(`bad cue time ${t}`);
    return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
  };
  return blocks.map((block) => {
    const lines = block.split('\n');
    const timing = /^(\S+) --> (\S+)$/.exec(lines[0]!);
    const target = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[1] ?? '');
    if (!timing || !target || lines.length !== 2) throw new Error(`bad cue:\n${block}`);
    const [, url, x, y, w, h] = target;
    return { start: time(timing[1]!), end: time(timing[2]!), url: url!, xywh: [Number(x), Number(y), Number(w), Number(h)] };
  });
}
