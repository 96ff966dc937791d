import { copyFile, mkdir, mkdtemp, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ErrorCode } from '../../src/common/errors';
import { masterPlaylist, mediaPlaylist, variantBandwidth } from '../../src/media/hls-playlist';
import { CorruptVideoError, mediaRejectionCode } from '../../src/media/media-errors';
import { Mp4Joiner } from '../../src/media/mp4-join';
import { EncodedPiece, LadderRung, SegmentEncoder, SegmentTimeLimitError, ladderFor } from '../../src/media/segment-encoder';
import { SourceSegment, VideoSegmenter, planSegments } from '../../src/media/video-segments';
import type { HlsPlay, HlsPlayResult } from '../browser/hls-contract';
import { PageServer, bundleForBrowser, launchChromium } from '../support/browser';
import { CorsFileServer } from '../support/cors-file-server';
import { childProcesses, mp4Boxes, probe } from '../support/media';
import { decodeFully, firstFrameGrey, greyDistance, makeKeyframedClip, videoStartOf, withRotation } from '../support/video-clips';

const tools = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
const segmenter = new VideoSegmenter(tools);
const encoder = new SegmentEncoder(tools);
const joiner = new Mp4Joiner(tools);

const SOURCE_SECONDS = 36;
const TARGET_SECONDS = 10;

async function newDir(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Splits and encodes every segment, one call each (as separate workers would), timing each encode. */
async function splitAndEncode(source: string, type: string, targetSeconds: number, rungs: readonly LadderRung[], dir: string) {
  const { keyframes, durationSeconds } = await segmenter.probeKeyframes(source, type);
  const plan = planSegments(keyframes, durationSeconds, targetSeconds);
  const segments = await segmenter.splitAtKeyframes(source, type, plan, await newDir(dir, 'split'));
  const pieces: EncodedPiece[][] = [];
  const seconds: number[] = [];
  for (const s of segments) {
    const started = performance.now();
    const outDir = await newDir(dir, `encoded-${s.index}`);
    pieces.push(await encoder.encodeSegment(s.file, { startSeconds: s.startSeconds, durationSeconds: s.durationSeconds, rungs, outDir }));
    seconds.push((performance.now() - started) / 1000);
  }
  return { keyframes, plan, segments, pieces, seconds };
}

/** One rung's pieces in order. */
function rungPieces(pieces: EncodedPiece[][], name: string): EncodedPiece[] {
  return pieces.map((perRung) => perRung.find((p) => p.name === name)!);
}

describe('segmented transcode: split at keyframes, encode segments apart, join, play as HLS (real ffmpeg)', () => {
  let dir: string;
  let source: string;
  let segments: SourceSegment[];
  const rungs = ladderFor(1280, 720);
  /** pieces[segment][rung] */
  const pieces: EncodedPiece[][] = [];
  const encodeSeconds: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-segments-'));
    source = join(dir, 'source.mp4');
    await makeKeyframedClip(source, { width: 1280, height: 720, seconds: SOURCE_SECONDS, keyframeEverySeconds: 2 });
  }, 120_000);

  it('finds the keyframes without decoding and cuts there, by stream copy, into segments of at least the target', async () => {
    const { keyframes, durationSeconds } = await segmenter.probeKeyframes(source, 'video/mp4');
    expect(keyframes.map((k) => Math.round(k * 1000) / 1000)).toEqual(Array.from({ length: SOURCE_SECONDS / 2 }, (_, i) => i * 2));
    expect(durationSeconds).toBeCloseTo(SOURCE_SECONDS, 1);

    const plan = planSegments(keyframes, durationSeconds, TARGET_SECONDS);
    expect(plan.length).toBeGreaterThanOrEqual(3);
    expect(plan.length).toBeLessThanOrEqual(4);
    segments = await segmenter.splitAtKeyframes(source, 'video/mp4', plan, await newDir(dir, 'split'));
    expect(segments.map((s) => [s.startSeconds, s.durationSeconds])).toEqual(plan.map((s) => [s.startSeconds, s.durationSeconds]));
    for (const s of segments) {
      const probed = await probe(s.file);
      expect(probed.formatName).toContain('matroska');
      expect(probed.video).toEqual({ codec: 'h264', width: 1280, height: 720 });
      expect(probed.audio).toEqual({ codec: 'aac' });
      expect(Math.abs(probed.duration - s.durationSeconds)).toBeLessThanOrEqual(0.25);
    }
  }, 60_000);

  it('encodes each segment in its own call into every rung at once, reporting progress', async () => {
    expect(rungs.map((r) => r.name)).toEqual(['360p', '720p']);
    for (const s of segments) {
      const progress: number[] = [];
      const started = performance.now();
      const result = await encoder.encodeSegment(s.file, {
        startSeconds: s.startSeconds,
        durationSeconds: s.durationSeconds,
        rungs,
        outDir: await newDir(dir, `encoded-${s.index}`),
        onProgress: (p) => progress.push(p),
      });
      encodeSeconds.push((performance.now() - started) / 1000);
      expect(result.map((p) => [p.name, p.width, p.height])).toEqual([['360p', 640, 360], ['720p', 1280, 720]]);
      for (const p of result) {
        expect(Math.abs(p.durationSeconds - s.durationSeconds)).toBeLessThanOrEqual(0.1);
        expect(p.bytes).toBe((await stat(p.file)).size);
        expect(p.bandwidth).toBe(Math.ceil((p.bytes * 8) / p.durationSeconds));
        expect(p.codecs).toMatch(/^avc1\.6400[0-9a-f]{2},mp4a\.40\.2$/);
      }
      expect(progress.length).toBeGreaterThan(0);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress[progress.length - 1]).toBeGreaterThan(0.9);
      pieces.push(result);
    }
  }, 240_000);

  it("places each piece where its segment starts, so a rung's pieces form one timeline", async () => {
    for (const rung of rungs) {
      const starts = await Promise.all(rungPieces(pieces, rung.name).map((p) => videoStartOf(p.file)));
      // MPEG-TS adds the same muxing delay to every piece; what matters is the distance between
      // them, to within a millisecond (TS counts in 90 kHz ticks).
      const fromFirst = starts.map((t) => Math.round((t - starts[0]!) * 1000) / 1000);
      expect(fromFirst).toEqual(segments.map((s) => s.startSeconds));
    }
  });

  it("decodes each rung's pieces, joined, as one stream of the source's length at the rung's size", async () => {
    for (const rung of rungs) {
      const joined = join(dir, `${rung.name}-joined.mp4`);
      await joiner.joinToMp4(rungPieces(pieces, rung.name).map((p) => p.file), joined);
      await decodeFully(joined);
      const probed = await probe(joined);
      expect(probed.video).toEqual({ codec: 'h264', width: rung.width, height: rung.height });
      expect(probed.audio).toEqual({ codec: 'aac' });
      expect(Math.abs(probed.duration - SOURCE_SECONDS)).toBeLessThanOrEqual(0.25);
    }
  }, 120_000);

  it("joins the top rung's pieces into a faststart MP4 as long as the source, without re-encoding", async () => {
    const output = join(dir, 'optimized.mp4');
    const top = rungPieces(pieces, '720p');
    await joiner.joinToMp4(top.map((p) => p.file), output);
    const probed = await probe(output);
    expect(probed.formatName).toContain('mp4');
    expect(probed.video).toEqual({ codec: 'h264', width: 1280, height: 720 });
    expect(probed.audio).toEqual({ codec: 'aac' });
    expect(Math.abs(probed.duration - SOURCE_SECONDS)).toBeLessThanOrEqual(0.25);
    const boxes = mp4Boxes(await readFile(output));
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    await decodeFully(output);
    // Stream copy: the MP4 holds the same packets as the pieces, less MPEG-TS's packet overhead.
    const pieceBytes = top.reduce((sum, p) => sum + p.bytes, 0);
    const mp4Bytes = (await stat(output)).size;
    expect(mp4Bytes).toBeLessThan(pieceBytes);
    expect(mp4Bytes).toBeGreaterThan(pieceBytes * 0.8);
  }, 60_000);

  it('plays the ladder with hls.js in Chromium, cross-origin, past 5 s with no fatal error', async () => {
    const hlsDir = await newDir(dir, 'hls');
    const files = await CorsFileServer.start(hlsDir);
    const page = await PageServer.start(await bundleForBrowser('hls-page.ts'), 'HLS');
    let browser: Browser | undefined;
    try {
      // Absolute URIs with a query, as the API's signed ones will be.
      const signed = (path: string) => `${files.origin}/${path}?X-Amz-Signature=${Buffer.from(path).toString('hex')}`;
      const variants = [];
      for (const rung of rungs) {
        const own = rungPieces(pieces, rung.name);
        await mkdir(join(hlsDir, rung.name));
        for (const [i, p] of own.entries()) await copyFile(p.file, join(hlsDir, rung.name, `${i}.ts`));
        await writeFile(join(hlsDir, `${rung.name}.m3u8`), mediaPlaylist(own, (_, i) => signed(`${rung.name}/${i}.ts`)));
        expect(new Set(own.map((p) => p.codecs)).size).toBe(1);
        variants.push({ name: rung.name, width: own[0]!.width, height: own[0]!.height, codecs: own[0]!.codecs, ...variantBandwidth(own) });
      }
      await writeFile(join(hlsDir, 'master.m3u8'), masterPlaylist(variants, (v) => signed(`${v.name}.m3u8`)));
      expect(new URL(page.origin).port).not.toBe(new URL(files.origin).port);

      browser = await launchChromium();
      const tab = await browser.newPage();
      await tab.goto(page.origin);
      const play = (run: HlsPlay) =>
        tab.evaluate((r) => (globalThis as unknown as { playHls: (r: HlsPlay) => Promise<HlsPlayResult> }).playHls(r), run);
      const fromStart = await play({ url: signed('master.m3u8'), untilSeconds: 5, timeoutMs: 60_000 });
      expect(fromStart).toMatchObject({ fatal: null, timedOut: false, levels: [360, 720] });
      expect(fromStart.currentTime).toBeGreaterThan(5);
      expect([360, 720]).toContain(fromStart.videoHeight);
      // The last piece too, reached by its place on the timeline.
      const lastStart = segments[segments.length - 1]!.startSeconds;
      const nearEnd = await play({ url: signed('master.m3u8'), startSeconds: lastStart + 2, untilSeconds: lastStart + 4, timeoutMs: 60_000 });
      expect(nearEnd).toMatchObject({ fatal: null, timedOut: false });
      expect(nearEnd.currentTime).toBeGreaterThan(lastStart + 4);
      const pieceRequests = files.requests.filter((r) => r.path.endsWith('.ts'));
      expect(pieceRequests.length).toBeGreaterThan(0);
      for (const r of pieceRequests) expect(r.headers.origin).toBe(page.origin);
    } finally {
      await browser?.close();
      await page.close();
      await files.close();
    }
  }, 120_000);

  it('kills an encode that runs past its wall-clock limit with an error that is retried, not a rejection', async () => {
    const s = segments[0]!;
    const err = await encoder
      .encodeSegment(s.file, { ...s, rungs, outDir: await newDir(dir, 'too-slow'), timeLimitSeconds: 0.2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SegmentTimeLimitError);
    expect(mediaRejectionCode(err)).toBeUndefined();
    expect(childProcesses(process.pid, 'ffmpeg', s.file)).toEqual([]);
  }, 30_000);

  it('stops ffmpeg when the caller aborts mid-encode (activity cancelled, worker shutting down)', async () => {
    const s = segments[1]!;
    const cancel = new AbortController();
    const reason = new Error('activity cancelled');
    let running: number[] = [];
    const err = await encoder
      .encodeSegment(s.file, {
        ...s,
        rungs,
        outDir: await newDir(dir, 'cancelled'),
        signal: cancel.signal,
        onProgress: () => {
          running = childProcesses(process.pid, 'ffmpeg', s.file);
          cancel.abort(reason);
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(running).toHaveLength(1);
    expect(childProcesses(process.pid, 'ffmpeg', s.file)).toEqual([]);
  }, 30_000);

  it('measures one whole-clip encode against the per-segment encodes (logged, not asserted)', async () => {
    const whole = await splitAndEncode(source, 'video/mp4', SOURCE_SECONDS, rungs, await newDir(dir, 'whole'));
    expect(whole.segments).toHaveLength(1);
    const sum = encodeSeconds.reduce((a, b) => a + b, 0);
    const max = Math.max(...encodeSeconds);
    const wholeSeconds = whole.seconds[0]!;
    console.log(
      `segmented transcode, ${SOURCE_SECONDS} s 720p -> ${rungs.map((r) => r.name).join('+')}: ` +
        `whole clip ${wholeSeconds.toFixed(2)} s; ${encodeSeconds.length} segments sum ${sum.toFixed(2)} s ` +
        `(${(sum / wholeSeconds).toFixed(2)}x), max ${max.toFixed(2)} s (${(max / wholeSeconds).toFixed(2)}x); ` +
        `per segment ${encodeSeconds.map((s) => s.toFixed(2)).join(', ')}`,
    );
  }, 240_000);
});

describe('segmented transcode: other sources', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-segments-'));
  });

  it('gives a 480p source only the 360p rung', async () => {
    const source = join(dir, 'source-480p.mp4');
    await makeKeyframedClip(source, { width: 854, height: 480, seconds: 4, keyframeEverySeconds: 2 });
    const rungs = ladderFor(854, 480);
    expect(rungs.map((r) => r.name)).toEqual(['360p']);
    const { pieces } = await splitAndEncode(source, 'video/mp4', TARGET_SECONDS, rungs, await newDir(dir, '480p'));
    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.map((p) => [p.name, p.width, p.height])).toEqual([['360p', 640, 360]]);
    await decodeFully(pieces[0]![0]!.file);
  }, 60_000);

  it('encodes and joins a video without audio, and says so in CODECS', async () => {
    const source = join(dir, 'silent.mp4');
    await makeKeyframedClip(source, { width: 640, height: 360, seconds: 24, keyframeEverySeconds: 2, audio: false });
    const { pieces } = await splitAndEncode(source, 'video/mp4', TARGET_SECONDS, ladderFor(640, 360), await newDir(dir, 'silent'));
    expect(pieces).toHaveLength(2);
    for (const [p] of pieces) expect(p!.codecs).toMatch(/^avc1\.6400[0-9a-f]{2}$/);
    const output = join(dir, 'silent-optimized.mp4');
    await joiner.joinToMp4(pieces.map(([p]) => p!.file), output);
    const probed = await probe(output);
    expect(probed).toMatchObject({ video: { codec: 'h264', width: 640, height: 360 }, audio: undefined });
    expect(Math.abs(probed.duration - 24)).toBeLessThanOrEqual(0.25);
  }, 60_000);

  it("turns a portrait phone video upright, though its segments lose the source's rotation", async () => {
    const landscape = join(dir, 'coded-landscape.mp4');
    const source = join(dir, 'portrait.mp4');
    await makeKeyframedClip(landscape, { width: 640, height: 360, seconds: 4, keyframeEverySeconds: 2 });
    await withRotation(landscape, source, 90);
    const probed = await segmenter.probeKeyframes(source, 'video/mp4');
    expect(probed).toMatchObject({ width: 360, height: 640, rotationDegrees: 90 });
    const rungs = ladderFor(probed.width, probed.height);
    expect(rungs.map((r) => [r.name, r.width, r.height])).toEqual([['360p', 360, 640]]);
    const plan = planSegments(probed.keyframes, probed.durationSeconds, TARGET_SECONDS);
    const [segment] = await segmenter.splitAtKeyframes(source, 'video/mp4', plan, await newDir(dir, 'portrait-split'));
    const encode = async (rotationDegrees: number) => {
      const outDir = await newDir(dir, `portrait-${rotationDegrees}`);
      const [piece] = await encoder.encodeSegment(segment!.file, { ...segment!, rotationDegrees, rungs, outDir });
      return greyDistance(await firstFrameGrey(piece!.file, 18, 32), await firstFrameGrey(source, 18, 32));
    };
    const upright = await encode(probed.rotationDegrees);
    const unturned = await encode(0);
    expect(upright).toBeLessThan(8);
    expect(unturned).toBeGreaterThan(20); // the same check would catch a squashed, unturned picture
  }, 60_000);

  it('rejects a truncated MP4 whose index survived: splitting finds it shorter than it says (CORRUPT_MEDIA)', async () => {
    const source = join(dir, 'truncated-faststart.mp4');
    await makeKeyframedClip(source, { width: 320, height: 240, seconds: 24, keyframeEverySeconds: 2, faststart: true });
    await truncate(source, Math.floor((await stat(source)).size / 2));
    const err = await splitAndEncode(source, 'video/mp4', 8, ladderFor(320, 240), await newDir(dir, 'truncated-faststart')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptVideoError);
    expect(mediaRejectionCode(err)).toBe(ErrorCode.CORRUPT_MEDIA);
  }, 60_000);

  it('rejects a truncated MP4 that lost its index (CORRUPT_MEDIA)', async () => {
    const source = join(dir, 'truncated.mp4');
    await makeKeyframedClip(source, { width: 320, height: 240, seconds: 8, keyframeEverySeconds: 2 });
    await truncate(source, Math.floor((await stat(source)).size / 2));
    const err = await splitAndEncode(source, 'video/mp4', 8, ladderFor(320, 240), await newDir(dir, 'truncated')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptVideoError);
    expect(mediaRejectionCode(err)).toBe(ErrorCode.CORRUPT_MEDIA);
  }, 60_000);
});
