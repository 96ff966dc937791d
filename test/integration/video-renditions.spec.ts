import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AudioRenditions } from '../../src/media/audio-renditions';
import { ImageProcessor } from '../../src/media/image-processor';
import { CorruptVideoError, MediaRejection } from '../../src/media/media-errors';
import { MetadataReader } from '../../src/media/metadata-reader';
import { PosterFramePicker } from '../../src/media/poster-frame';
import { storyboardCues, storyboardLayout, storyboardVtt, StoryboardRenderer } from '../../src/media/storyboard';
import { ToolUnavailableError } from '../../src/media/tool-process';
import { VideoTranscoder } from '../../src/media/video-transcoder';
import {
  integratedLoudness,
  makeLeadInVideo,
  makeTone,
  makeVideo,
  mp4Boxes,
  parseStoryboardVtt,
  probe,
  rotateVideo,
} from '../support/media';

/** Mean luma (0..255) of an image, as sharp's stats see its greyscale. */
async function meanLuma(path: string | Buffer): Promise<number> {
  const { channels } = await sharp(path).removeAlpha().greyscale().stats();
  return channels[0]!.mean;
}

describe('video and audio renditions (real ffmpeg, ffprobe, sharp)', () => {
  let dir: string;
  const metadata = new MetadataReader({ ffprobePath: 'ffprobe' });
  const posters = new PosterFramePicker({ ffmpegPath: 'ffmpeg' });
  const storyboards = new StoryboardRenderer({ ffmpegPath: 'ffmpeg' });
  const audio = new AudioRenditions({ ffmpegPath: 'ffmpeg' });
  const images = new ImageProcessor({ maxInputPixels: 100_000_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-renditions-'));
    await Promise.all([
      makeLeadInVideo(join(dir, 'black-lead.mp4'), { lead: 'black', leadSeconds: 1, seconds: 40, width: 1280, height: 720 }),
      makeLeadInVideo(join(dir, 'grey-lead.mp4'), { lead: 'gray', leadSeconds: 25, seconds: 40, width: 640, height: 360 }),
      makeLeadInVideo(join(dir, 'one-gop.mp4'), { lead: 'gray', leadSeconds: 25, seconds: 40, width: 640, height: 360, oneKeyframe: true }),
      makeVideo(join(dir, 'stereo.mp4'), { width: 640, height: 360, seconds: 7, audio: { sampleRate: 48000, channels: 2 } }),
      makeTone(join(dir, 'quiet.wav'), { seconds: 10, gainDb: -17, sampleRate: 48000, channels: 2 }),
    ]);
    await rotateVideo(join(dir, 'stereo.mp4'), join(dir, 'portrait.mp4'));
    const whole = await readFile(join(dir, 'stereo.mp4'));
    await writeFile(join(dir, 'cut.mp4'), whole.subarray(0, 4000));
  }, 120_000);
  afterAll(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('poster frame', () => {
    it('skips a black first second: poster and thumbnail come from one non-black frame', async () => {
      const input = join(dir, 'black-lead.mp4');
      // What a first-frame poster would show.
      await new VideoTranscoder({ ffmpegPath: 'ffmpeg', maxDimension: 1920 }).extractFrame(input, join(dir, 'first.png'), {
        type: 'video/mp4',
        atSeconds: 0,
      });
      expect(await meanLuma(join(dir, 'first.png'))).toBeLessThan(5);

      const still = join(dir, 'poster.png');
      const picked = await posters.pickFrame(input, still, { type: 'video/mp4', durationSeconds: 40 });
      expect(picked.atSeconds).toBeGreaterThan(1);
      expect(await meanLuma(still)).toBeGreaterThan(40);

      const poster = await images.renderWebp(still, join(dir, 'poster.webp'), { type: 'image/png', maxDimension: 1280 });
      const thumb = await images.renderWebp(still, join(dir, 'thumb.webp'), { type: 'image/png', maxDimension: 320 });
      expect([poster.width, poster.height, thumb.width, thumb.height]).toEqual([1280, 720, 320, 180]);
      // The same frame: the poster, shrunk to the thumbnail's size, differs from it only by compression.
      const a = await sharp(join(dir, 'poster.webp')).resize(320, 180).greyscale().raw().toBuffer();
      const b = await sharp(join(dir, 'thumb.webp')).greyscale().raw().toBuffer();
      const meanDiff = a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
      expect(meanDiff).toBeLessThan(8);
    });

    it('skips a long uniform grey opening and picks a frame of the content', async () => {
      const still = join(dir, 'grey-poster.png');
      const picked = await posters.pickFrame(join(dir, 'grey-lead.mp4'), still, { type: 'video/mp4', durationSeconds: 40 });
      expect(picked.atSeconds).toBeGreaterThan(25);
      const { channels } = await sharp(still).greyscale().stats();
      expect(channels[0]!.stdev).toBeGreaterThan(12);
    });

    it('seeks to exact times when the only keyframe is the grey opening', async () => {
      const still = join(dir, 'one-gop.png');
      const picked = await posters.pickFrame(join(dir, 'one-gop.mp4'), still, { type: 'video/mp4', durationSeconds: 40 });
      expect(picked).toMatchObject({ keyframe: false });
      expect(picked.atSeconds).toBeGreaterThan(25);
      const { channels } = await sharp(still).greyscale().stats();
      expect(channels[0]!.stdev).toBeGreaterThan(12);
    });

    it('turns a portrait phone video upright', async () => {
      const still = join(dir, 'portrait.png');
      await posters.pickFrame(join(dir, 'portrait.mp4'), still, { type: 'video/mp4', durationSeconds: 7 });
      const { width, height } = await sharp(still).metadata();
      expect([width, height]).toEqual([360, 640]);
    });
  });

  describe('storyboard', () => {
    it('tiles a 40 s 720p clip into a sheet the WebVTT maps over the whole duration', async () => {
      const input = join(dir, 'black-lead.mp4');
      const meta = await metadata.readAv(input, 'video/mp4');
      const duration = meta.durationSeconds!;
      const layout = storyboardLayout(duration, { width: meta.displayWidth!, height: meta.displayHeight! });
      const sheet = join(dir, 'storyboard.jpg');
      const progress: number[] = [];
      await storyboards.renderSheet(input, sheet, layout, { type: 'video/mp4', durationSeconds: duration, onProgress: (f) => progress.push(f) });
      expect(progress.length).toBeGreaterThan(0);
      expect(Math.max(...progress)).toBeLessThanOrEqual(1);

      const decoded = await sharp(sheet).metadata();
      expect([decoded.format, decoded.width, decoded.height]).toEqual(['jpeg', layout.sheetWidth, layout.sheetHeight]);
      expect([layout.columns, layout.rows, layout.tileWidth, layout.tileHeight]).toEqual([10, 4, 160, 90]);

      const cues = parseStoryboardVtt(storyboardVtt(storyboardCues(duration, layout), 'storyboard.jpg'));
      expect(cues[0]!.start).toBe(0);
      expect(cues.at(-1)!.end).toBeCloseTo(duration, 2);
      cues.slice(1).forEach((cue, i) => expect(cue.start).toBe(cues[i]!.end));
      // Tile 0 is the black lead-in, tile 20 (20 s in) the busy test picture.
      const tile = (i: number) => sharp(sheet).extract({ left: cues[i]!.xywh[0], top: cues[i]!.xywh[1], width: 160, height: 90 }).toBuffer();
      expect(await meanLuma(await tile(0))).toBeLessThan(10);
      expect(await meanLuma(await tile(20))).toBeGreaterThan(40);
    });

    it('lays out a rotated clip by its display size', async () => {
      const input = join(dir, 'portrait.mp4');
      const meta = await metadata.readAv(input, 'video/mp4');
      const layout = storyboardLayout(meta.durationSeconds!, { width: meta.displayWidth!, height: meta.displayHeight! });
      await storyboards.renderSheet(input, join(dir, 'portrait-sb.jpg'), layout, { type: 'video/mp4' });
      const { width, height } = await sharp(join(dir, 'portrait-sb.jpg')).metadata();
      expect([width, height]).toEqual([layout.sheetWidth, layout.sheetHeight]);
      expect([layout.columns, layout.rows, layout.tileHeight]).toEqual([7, 1, 284]);
    });
  });

  describe('audio-only renditions', () => {
    it('normalises a quiet (-35 dBFS) tone to -16 LUFS, linearly, in a faststart AAC M4A', async () => {
      const input = join(dir, 'quiet.wav');
      expect(await integratedLoudness(input)).toBeLessThan(-35);
      const output = join(dir, 'optimized.m4a');
      const progress: number[] = [];
      const encoded = await audio.encodeM4a(input, output, { type: 'audio/wav', sampleRate: 48000, durationSeconds: 10, onProgress: (f) => progress.push(f) });
      expect(encoded.normalization).toBe('linear');
      // Both passes report, the second from half way: never past the end, never backwards.
      expect(Math.max(...progress)).toBeGreaterThan(0.5);
      expect(Math.max(...progress)).toBeLessThanOrEqual(1);
      progress.slice(1).forEach((f, i) => expect(f).toBeGreaterThanOrEqual(progress[i]!));

      const probed = await probe(output);
      expect(probed.formatName).toContain('mp4');
      expect(probed.audio?.codec).toBe('aac');
      expect(probed.video).toBeUndefined();
      expect(probed.duration).toBeCloseTo(10, 0);
      const boxes = mp4Boxes(await readFile(output));
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
      expect(Math.abs((await integratedLoudness(output)) + 16)).toBeLessThanOrEqual(2);
    });

    it('draws the waveform as a PNG of the requested size', async () => {
      const output = join(dir, 'waveform.png');
      await audio.renderWaveform(join(dir, 'quiet.wav'), output, { type: 'audio/wav', width: 1200, height: 200 });
      const decoded = await sharp(output).metadata();
      expect([decoded.format, decoded.width, decoded.height]).toEqual(['png', 1200, 200]);
    });
  });

  describe('ffprobe metadata', () => {
    it('reads container, codecs, frame rate, bit rates and stereo 48 kHz audio', async () => {
      const meta = await metadata.readAv(join(dir, 'stereo.mp4'), 'video/mp4');
      expect(meta).toMatchObject({
        kind: 'video',
        videoCodec: 'h264',
        audioCodec: 'aac',
        width: 640,
        height: 360,
        rotation: 0,
        displayWidth: 640,
        displayHeight: 360,
        frameRate: 25,
        audioChannels: 2,
        audioChannelLayout: 'stereo',
        sampleRate: 48000,
      });
      expect(meta.container).toContain('mp4');
      expect(meta.durationSeconds!).toBeCloseTo(7, 0);
      for (const rate of [meta.bitRate, meta.videoBitRate, meta.audioBitRate]) expect(rate).toBeGreaterThan(0);
    });

    it('reports a portrait phone video as rotated 90° with swapped display dimensions', async () => {
      const meta = await metadata.readAv(join(dir, 'portrait.mp4'), 'video/mp4');
      expect(meta).toMatchObject({ width: 640, height: 360, rotation: 90, displayWidth: 360, displayHeight: 640 });
    });

    it('describes audio-only files without video fields', async () => {
      const meta = await metadata.readAv(join(dir, 'quiet.wav'), 'audio/wav');
      expect(meta).toMatchObject({
        kind: 'audio',
        container: 'wav',
        audioCodec: 'pcm_s16le',
        audioChannels: 2,
        sampleRate: 48000,
        videoCodec: null,
        rotation: null,
        displayWidth: null,
      });
    });
  });

  describe('whose fault', () => {
    it('blames a truncated file: corrupt media, never retried', async () => {
      const input = join(dir, 'cut.mp4');
      const out = join(dir, 'never');
      const layout = storyboardLayout(7, { width: 640, height: 360 });
      for (const work of [
        () => posters.pickFrame(input, `${out}.png`, { type: 'video/mp4', durationSeconds: 7 }),
        () => storyboards.renderSheet(input, `${out}.jpg`, layout, { type: 'video/mp4' }),
        () => audio.encodeM4a(input, `${out}.m4a`, { type: 'video/mp4' }),
        () => audio.renderWaveform(input, `${out}-wave.png`, { type: 'video/mp4' }),
      ]) {
        await expect(work()).rejects.toBeInstanceOf(CorruptVideoError);
      }
    });

    it('blames the tool, not the file, when ffmpeg cannot run', async () => {
      const broken = '/nonexistent/ffmpeg';
      const input = join(dir, 'stereo.mp4');
      const errors = await Promise.all([
        new PosterFramePicker({ ffmpegPath: broken }).pickFrame(input, join(dir, 'x.png'), { type: 'video/mp4', durationSeconds: 7 }),
        new AudioRenditions({ ffmpegPath: broken }).encodeM4a(input, join(dir, 'x.m4a'), { type: 'video/mp4' }),
        new StoryboardRenderer({ ffmpegPath: broken }).renderSheet(input, join(dir, 'x.jpg'), storyboardLayout(7, { width: 640, height: 360 }), {
          type: 'video/mp4',
        }),
      ].map((p) => p.catch((e: unknown) => e)));
      for (const err of errors) {
        expect(err).toBeInstanceOf(ToolUnavailableError);
        expect(err).not.toBeInstanceOf(MediaRejection);
      }
    });
  });
});
