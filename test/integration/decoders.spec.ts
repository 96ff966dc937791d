import { execFile } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { ErrorCode } from '../../src/common/errors';
import { ImageProcessor } from '../../src/media/image-processor';
import { MediaRejection, mediaRejectionCode } from '../../src/media/media-errors';
import { MetadataReader } from '../../src/media/metadata-reader';
import { assertVideoWithinLimits, VideoLimits } from '../../src/media/video-limits';
import { VideoTranscoder } from '../../src/media/video-transcoder';
import { eventually } from '../support/stack';
import {
  childProcesses,
  connectionRecorder,
  encodeImage,
  ID3_TAG,
  isBlockedOn,
  isDead,
  makeImage,
  makePngDeclaring,
  makeVideo,
  mp4Boxes,
  remux,
  startMetadataProcess,
  startTranscodeProcess,
  SVG,
  writeFfconcat,
  writeHlsPlaylist,
} from '../support/media';

const run = promisify(execFile);

/** The code an activity would reject with, or a description of what else happened. */
async function rejectionOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error: the input was decoded';
  } catch (err) {
    return mediaRejectionCode(err) ?? `not a rejection: ${String(err)}`;
  }
}

async function errorOf(work: Promise<unknown>): Promise<MediaRejection> {
  const err = await work.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaRejection);
  return err as MediaRejection;
}

describe('decoders are held to the verified type (sharp, ffprobe, ffmpeg)', () => {
  let dir: string;
  let images: ImageProcessor;
  let metadata: MetadataReader;
  let videos: VideoTranscoder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-decoders-'));
    images = new ImageProcessor({ maxInputPixels: 100_000_000 });
    metadata = new MetadataReader({ ffprobePath: 'ffprobe', maxInputPixels: 100_000_000 });
    videos = new VideoTranscoder({ ffmpegPath: 'ffmpeg', maxDimension: 1920 });
    await makeVideo(join(dir, 'clip.mp4'), { width: 320, height: 240, seconds: 2 });
    await remux(join(dir, 'clip.mp4'), join(dir, 'clip.mkv'));
    await copyFile(join(dir, 'clip.mp4'), join(dir, 'renamed.webm'));
  });
  afterAll(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  const at = (name: string) => join(dir, name);

  describe('images', () => {
    it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)('still decodes %s with only the allowed loaders', async (format) => {
      const type = `image/${format}`;
      await encodeImage(at(`ok.${format}`), format);
      await expect(images.renderWebp(at(`ok.${format}`), at(`ok-${format}.webp`), { type, maxDimension: 16 })).resolves.toEqual(
        expect.objectContaining({ width: 16 }),
      );
      await expect(metadata.readImage(at(`ok.${format}`), type)).resolves.toEqual(
        expect.objectContaining({ kind: 'image', width: 48, height: 32 }),
      );
    });

    it('reads AVIF as sharp reports it: format heif, compression av1', async () => {
      await encodeImage(at('probe.avif'), 'avif');
      expect(await sharp(at('probe.avif')).metadata()).toEqual(expect.objectContaining({ format: 'heif', compression: 'av1' }));
    });

    it('has blocked the SVG loader for the whole process: libvips refuses it before parsing', async () => {
      await expect(sharp(SVG).metadata()).rejects.toThrow(/unsupported image format/i);
    });

    it('refuses an SVG verified as PNG without decoding it', async () => {
      const svg = at('drawing.png');
      await writeFile(svg, SVG);
      expect(await rejectionOf(images.renderWebp(svg, at('svg.webp'), { type: 'image/png', maxDimension: 64 }))).toBe(
        ErrorCode.TYPE_MISMATCH,
      );
      expect(await rejectionOf(metadata.readImage(svg, 'image/png'))).toBe(ErrorCode.TYPE_MISMATCH);
      expect(existsSync(at('svg.webp'))).toBe(false);
    });

    it('refuses a PNG verified as JPEG: the verified type decides, not the decoder', async () => {
      await makeImage(at('real.png'), 40, 30, 'png');
      expect(await rejectionOf(images.renderWebp(at('real.png'), at('real.webp'), { type: 'image/jpeg', maxDimension: 64 }))).toBe(
        ErrorCode.TYPE_MISMATCH,
      );
      expect(await rejectionOf(metadata.readImage(at('real.png'), 'image/jpeg'))).toBe(ErrorCode.TYPE_MISMATCH);
    });

    it('refuses a header that declares 30000x30000 as too large, in every step, before decoding', async () => {
      const bomb = at('bomb.png');
      await makePngDeclaring(bomb, 30_000, 30_000);
      expect((await readFile(bomb)).length).toBeLessThan(1024);
      expect(await rejectionOf(metadata.readImage(bomb, 'image/png'))).toBe(ErrorCode.IMAGE_TOO_LARGE);
      expect(await rejectionOf(images.renderWebp(bomb, at('bomb.webp'), { type: 'image/png', maxDimension: 320 }))).toBe(
        ErrorCode.IMAGE_TOO_LARGE,
      );
      const err = await errorOf(metadata.readImage(bomb, 'image/png'));
      expect(err.message).toBe('The image declares 30000x30000 pixels; at most 100000000 are allowed');
    });

    it('keeps paths and libvips internals out of the message of a broken image', async () => {
      await makeImage(at('whole.jpg'), 200, 150, 'jpeg');
      const whole = await readFile(at('whole.jpg'));
      await writeFile(at('cut.jpg'), whole.subarray(0, whole.length / 2));
      const err = await errorOf(images.renderWebp(at('cut.jpg'), at('cut.webp'), { type: 'image/jpeg', maxDimension: 64 }));
      expect([err.code, err.message]).toEqual([ErrorCode.CORRUPT_MEDIA, 'The content cannot be decoded as image/jpeg']);
      expect(err.detail).toBeTruthy();
    });
  });

  describe('audio and video', () => {
    it('probes a real video with the forced demuxer, counting its streams', async () => {
      expect(await metadata.readAv(at('clip.mp4'), 'video/mp4')).toEqual(
        expect.objectContaining({ kind: 'video', width: 320, height: 240, videoCodec: 'h264', audioCodec: 'aac', streams: 2 }),
      );
      expect(await metadata.readAv(at('clip.mkv'), 'video/x-matroska')).toEqual(
        expect.objectContaining({ container: 'matroska,webm', width: 320, streams: 2 }),
      );
    });

    it('transcodes and extracts a frame through the sandboxed input, reporting progress', async () => {
      const progress: number[] = [];
      await videos.transcodeMp4(at('clip.mkv'), at('web.mp4'), { type: 'video/x-matroska', onProgress: (p) => progress.push(p) });
      const boxes = mp4Boxes(await readFile(at('web.mp4')));
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
      expect(await metadata.readAv(at('web.mp4'), 'video/mp4')).toEqual(expect.objectContaining({ width: 320, height: 240 }));
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((p) => p >= 0 && p <= 100)).toBe(true);

      await videos.extractFrame(at('clip.mp4'), at('frame.png'), { type: 'video/mp4', atSeconds: 0.5 });
      await expect(images.renderWebp(at('frame.png'), at('frame.webp'), { type: 'image/png', maxDimension: 160 })).resolves.toEqual(
        expect.objectContaining({ width: 160, height: 120 }),
      );
    });

    /** Every tool an upload of `type` goes through must refuse `file`, and write nothing. */
    async function expectRefusedEverywhere(file: string, type: string) {
      const refused = [ErrorCode.TYPE_MISMATCH, ErrorCode.CORRUPT_MEDIA] as string[];
      expect(refused).toContain(await rejectionOf(metadata.readAv(file, type)));
      if (type.startsWith('video/')) {
        const out = `${file}.out.mp4`;
        expect(refused).toContain(await rejectionOf(videos.transcodeMp4(file, out, { type })));
        expect(refused).toContain(await rejectionOf(videos.extractFrame(file, `${file}.png`, { type, atSeconds: 0 })));
        expect(existsSync(`${file}.png`)).toBe(false);
      }
    }

    it('refuses an HLS playlist verified as MP4 instead of following it to another local file', async () => {
      await writeHlsPlaylist(at('playlist.mp4'), 'clip.mp4');
      // What ffmpeg would do on its own: detect HLS and open clip.mp4.
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'csv=p=0', at('playlist.mp4')]);
      expect(stdout.trim()).toBe('hls');
      await expectRefusedEverywhere(at('playlist.mp4'), 'video/mp4');
    });

    it('refuses an ffconcat script verified as MP4', async () => {
      await writeFfconcat(at('concat.mp4'), 'clip.mp4');
      await expectRefusedEverywhere(at('concat.mp4'), 'video/mp4');
    });

    it('refuses a playlist behind an ID3 tag verified as MP3', async () => {
      await writeHlsPlaylist(at('tagged.mp3'), 'clip.mp4', ID3_TAG);
      await expectRefusedEverywhere(at('tagged.mp3'), 'audio/mpeg');
    });

    it('never connects to a URL a playlist names', async () => {
      const listener = await connectionRecorder();
      try {
        await writeHlsPlaylist(at('remote.mp4'), listener.url);
        await writeHlsPlaylist(at('remote.mp3'), listener.url, ID3_TAG);
        await expectRefusedEverywhere(at('remote.mp4'), 'video/mp4');
        await expectRefusedEverywhere(at('remote.mp3'), 'audio/mpeg');
        expect(listener.connections()).toBe(0);
      } finally {
        await listener.close();
      }
    });

    it('refuses an MP4 verified as WebM, and Matroska verified as MP4', async () => {
      await expectRefusedEverywhere(at('renamed.webm'), 'video/webm');
      await expectRefusedEverywhere(at('clip.mkv'), 'video/mp4');
    });

    it('keeps scratch paths and ffmpeg banners out of the message, and stderr in detail', async () => {
      const err = await errorOf(videos.transcodeMp4(at('renamed.webm'), at('x.mp4'), { type: 'video/webm' }));
      expect(err.message).toBe('The content cannot be decoded as video/webm');
      expect(err.detail).toMatch(/EBML header parsing failed/);
      const probed = await errorOf(metadata.readAv(at('renamed.webm'), 'video/webm'));
      expect(probed.message).toBe('The content cannot be read as video/webm');
      expect(probed.message).not.toContain(dir);
    });

    it('holds a real video to the configured limits', async () => {
      const meta = await metadata.readAv(at('clip.mp4'), 'video/mp4');
      const roomy: VideoLimits = {
        maxWidth: 320,
        maxHeight: 240,
        maxPixels: 320 * 240,
        maxDurationSeconds: 3,
        maxFrameRate: 25,
        maxStreams: 2,
      };
      expect(() => assertVideoWithinLimits(meta, roomy)).not.toThrow();
      const over = (limits: Partial<VideoLimits>) => {
        try {
          assertVideoWithinLimits(meta, { ...roomy, ...limits });
          return 'within limits';
        } catch (err) {
          return mediaRejectionCode(err);
        }
      };
      expect([
        over({ maxWidth: 319 }),
        over({ maxPixels: 320 * 240 - 1 }),
        over({ maxDurationSeconds: 1 }),
        over({ maxFrameRate: 24 }),
        over({ maxStreams: 1 }),
      ]).toEqual([
        ErrorCode.VIDEO_TOO_LARGE,
        ErrorCode.VIDEO_TOO_LARGE,
        ErrorCode.VIDEO_TOO_LONG,
        ErrorCode.VIDEO_FRAME_RATE_TOO_HIGH,
        ErrorCode.TOO_MANY_STREAMS,
      ]);
    });
  });

  describe('child processes', () => {
    // Run after each test even when it fails or times out, so a tool left waiting on a FIFO (as
    // it would be without the fix under test) never keeps jest from exiting.
    const cleanups: Array<() => void> = [];
    afterEach(() => {
      for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    });

    /**
     * The start of a Matroska file in a FIFO whose write end this test holds open: a tool reading
     * it waits for the rest forever, so it is still running whenever the test looks, with no
     * dependence on how fast this machine decodes.
     */
    async function endlessInput(name: string): Promise<string> {
      const fifo = at(name);
      await run('mkfifo', [fifo]);
      // O_RDWR: opening a FIFO this way never blocks waiting for a reader (Linux).
      const writer = createWriteStream(fifo, { flags: 'r+' });
      cleanups.push(() => writer.destroy());
      const head = (await readFile(at('clip.mkv'))).subarray(0, 512);
      await new Promise<void>((done, fail) => writer.write(head, (err) => (err ? fail(err) : done())));
      return fifo;
    }

    /** The tool `ppid` started on `input` (not some other run of the same binary). */
    async function toolReading(ppid: number, name: string, input: string): Promise<number> {
      const pid = await eventually(() => childProcesses(ppid, name, input)[0], 30_000, `${name} on ${input} under pid ${ppid}`);
      cleanups.push(() => {
        if (!isDead(pid)) process.kill(pid, 'SIGKILL');
      });
      return pid;
    }

    async function deathOf(pid: number, what: string): Promise<void> {
      await eventually(() => (isDead(pid) ? true : undefined), 30_000, what);
    }

    it('kills ffmpeg when the worker that started it is SIGKILLed', async () => {
      const input = await endlessInput('endless.mkv');
      const worker = startTranscodeProcess(input, at('orphan.mp4'), 'video/x-matroska');
      cleanups.push(() => worker.kill('SIGKILL'));
      const ffmpegPid = await toolReading(worker.pid!, 'ffmpeg', input);
      // Past its start-up and waiting on the FIFO: an ffmpeg that still writes to its dead parent's
      // pipe might die of SIGPIPE, which would hide whether the kernel kills it.
      await eventually(() => (isBlockedOn(ffmpegPid, input) ? true : undefined), 30_000, 'ffmpeg waiting on its input');
      const exited = new Promise((done) => worker.once('exit', done));
      worker.kill('SIGKILL');
      await exited;
      await deathOf(ffmpegPid, `ffmpeg ${ffmpegPid} to die with its worker`);
    });

    it('exiftool exits when the worker that started it is SIGKILLed', async () => {
      await makeImage(at('exif.png'), 40, 30, 'png');
      const worker = startMetadataProcess(at('exif.png'));
      cleanups.push(() => worker.kill('SIGKILL'));
      let out = '';
      worker.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await eventually(() => (out.includes('read') ? true : undefined), 30_000, 'the metadata read');
      expect(out).not.toContain('read failed');
      const exiftool = await eventually(() => childProcesses(worker.pid!, 'perl', 'exiftool')[0], 30_000, 'exiftool under the worker');
      cleanups.push(() => {
        if (!isDead(exiftool)) process.kill(exiftool, 'SIGKILL');
      });
      const exited = new Promise((done) => worker.once('exit', done));
      worker.kill('SIGKILL');
      await exited;
      // -stay_open reads commands from its stdin: the dead worker's end closes, and it exits.
      await deathOf(exiftool, `exiftool ${exiftool} to exit with its worker`);
    });

    it('kills ffmpeg when the caller aborts a transcode', async () => {
      const input = await endlessInput('abort.mkv');
      const controller = new AbortController();
      const transcode = videos.transcodeMp4(input, at('aborted.mp4'), { type: 'video/x-matroska', signal: controller.signal });
      const ffmpegPid = await toolReading(process.pid, 'ffmpeg', input);
      controller.abort(new Error('activity cancelled'));
      await expect(transcode).rejects.toThrow('activity cancelled');
      await deathOf(ffmpegPid, 'aborted ffmpeg to die');
    });

    it('kills ffprobe when the caller aborts a probe', async () => {
      const input = await endlessInput('abort-probe.mkv');
      const controller = new AbortController();
      const probe = metadata.readAv(input, 'video/x-matroska', { signal: controller.signal });
      const ffprobePid = await toolReading(process.pid, 'ffprobe', input);
      controller.abort(new Error('probe cancelled'));
      await expect(probe).rejects.toThrow('probe cancelled');
      await deathOf(ffprobePid, 'aborted ffprobe to die');
    });
  });
});
