import { ApplicationFailure } from '@temporalio/common';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createActivities } from '../../activities';
import { activityEnv, runActivity } from '../support/activity-env';
import { ImageProcessor } from '../../src/media/image-processor';
import { MetadataReader } from '../../src/media/metadata-reader';
import { expectRejection } from '../support/failures';
import { PHOTO_GPS, makeImage, makePngDeclaring, makeRotatedGpsJpeg, makeVideo, mp4Boxes, probe } from '../support/media';
import { RealDeps, ingestedUpload, realDeps } from '../support/real-deps';

describe('metadata, processing and thumbnail activities (exiftool, ffprobe, sharp, ffmpeg, S3)', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let dir: string;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    dir = await mkdtemp(join(tmpdir(), 'intake-media-'));
    await makeRotatedGpsJpeg(join(dir, 'photo.jpg'));
    await makeVideo(join(dir, 'clip.mp4'), { width: 640, height: 360, seconds: 2 });
    await makePngDeclaring(join(dir, 'bomb.png'), 30_000, 30_000);
  });
  afterAll(() => deps.close());

  /** Verified and ingested: the worker holds the local copy the media steps read. */
  function verified(contentType: string, file: string) {
    return ingestedUpload(deps, acts, { contentType, body: join(dir, file) });
  }

  async function download(key: string): Promise<Buffer> {
    const path = join(dir, `dl-${Date.now()}-${Math.random()}`);
    await deps.storage.download(key, path);
    return readFile(path);
  }

  it('keeps EXIF (GPS included) as metadata with display dimensions', async () => {
    const { upload } = await verified('image/jpeg', 'photo.jpg');
    await runActivity(acts.extractMetadata, { uploadId: upload.id });
    const { metadata } = await deps.uploads.get(upload.id);
    expect(metadata).toMatchObject({
      kind: 'image',
      format: 'jpeg',
      width: 480,
      height: 640,
      orientation: 6,
      camera: { make: 'IntakeCam', model: 'Test One' },
    });
    const gps = metadata!.gps as { latitude: number; longitude: number; altitude: number };
    expect(gps.latitude).toBeCloseTo(PHOTO_GPS.latitude, 3);
    expect(gps.longitude).toBeCloseTo(PHOTO_GPS.longitude, 3);
    expect(gps.altitude).toBeCloseTo(PHOTO_GPS.altitude, 0);
  });

  it('renders an auto-oriented WebP with no metadata, idempotently', async () => {
    const { upload } = await verified('image/jpeg', 'photo.jpg');
    await runActivity(acts.processImage, { uploadId: upload.id });
    await runActivity(acts.processImage, { uploadId: upload.id }); // a retried activity
    const outputs = await deps.uploads.listOutputs(upload.id);
    expect(outputs.map((o) => [o.name, o.contentType, o.width, o.height])).toEqual([
      ['optimized', 'image/webp', 480, 640],
    ]);
    const rendered = await sharp(await download(outputs[0]!.objectKey)).metadata();
    expect([rendered.format, rendered.width, rendered.height]).toEqual(['webp', 480, 640]);
    expect(rendered.exif).toBeUndefined();
    expect(rendered.orientation).toBeUndefined();
  });

  it('makes a 320px WebP thumbnail of an image', async () => {
    const { upload } = await verified('image/jpeg', 'photo.jpg');
    await runActivity(acts.createThumbnail, { uploadId: upload.id });
    const [thumb] = await deps.uploads.listOutputs(upload.id);
    expect([thumb!.name, thumb!.width, thumb!.height]).toEqual(['thumbnail', 240, 320]);
    const decoded = await sharp(await download(thumb!.objectKey)).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(['webp', 240, 320]);
  });

  it('rejects an image with more pixels than the decompression-bomb limit', async () => {
    const strict = createActivities({ ...deps, images: new ImageProcessor({ maxInputPixels: 1000 }) });
    const { upload } = await verified('image/jpeg', 'photo.jpg');
    await expectRejection(runActivity(strict.processImage, { uploadId: upload.id }), 'IMAGE_TOO_LARGE');
  });

  it('rejects a tiny file whose header declares 30000x30000 as too large in every step', async () => {
    const { upload } = await verified('image/png', 'bomb.png');
    await expectRejection(runActivity(acts.extractMetadata, { uploadId: upload.id }), 'IMAGE_TOO_LARGE');
    await expectRejection(runActivity(acts.processImage, { uploadId: upload.id }), 'IMAGE_TOO_LARGE');
    await expectRejection(runActivity(acts.createThumbnail, { uploadId: upload.id }), 'IMAGE_TOO_LARGE');
  });

  it('rejects a truncated image as corrupt', async () => {
    const whole = await readFile(join(dir, 'photo.jpg'));
    await writeFile(join(dir, 'cut.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
    const { upload } = await verified('image/jpeg', 'cut.jpg');
    await expectRejection(runActivity(acts.processImage, { uploadId: upload.id }), 'CORRUPT_MEDIA');
  });

  it('probes video metadata with ffprobe', async () => {
    const { upload } = await verified('video/mp4', 'clip.mp4');
    await runActivity(acts.extractMetadata, { uploadId: upload.id });
    const { metadata } = await deps.uploads.get(upload.id);
    expect(metadata).toMatchObject({ kind: 'video', width: 640, height: 360, videoCodec: 'h264', audioCodec: 'aac' });
    expect(metadata!.durationSeconds as number).toBeCloseTo(2, 0);
  });

  it('rejects video over the configured limits when reading its metadata, before decoding it', async () => {
    const strict = createActivities({ ...deps, config: { ...deps.config, VIDEO_MAX_DURATION_SECONDS: 1 } });
    const { upload } = await verified('video/mp4', 'clip.mp4');
    const failure = await expectRejection(runActivity(strict.extractMetadata, { uploadId: upload.id }), 'VIDEO_TOO_LONG');
    expect(failure.message).not.toContain(deps.config.WORK_DIR);
  });

  it('blames the tool, not the file, when ffprobe cannot run: retried, never rejected', async () => {
    const broken = createActivities({
      ...deps,
      metadata: new MetadataReader({ ffprobePath: '/nonexistent/ffprobe', maxInputPixels: deps.config.MAX_IMAGE_PIXELS }),
    });
    const { upload } = await verified('video/mp4', 'clip.mp4');
    const err = await runActivity(broken.extractMetadata, { uploadId: upload.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err instanceof ApplicationFailure && err.nonRetryable).toBe(false);
  });

  it('transcodes video to faststart H.264/AAC MP4, heartbeating progress', async () => {
    const { upload } = await verified('video/mp4', 'clip.mp4');
    const env = activityEnv();
    const beats: Array<{ percent: number }> = [];
    env.on('heartbeat', (d: { percent: number }) => beats.push(d));
    await env.run(acts.transcodeVideo, { uploadId: upload.id });
    const [out] = await deps.uploads.listOutputs(upload.id);
    expect([out!.name, out!.contentType, out!.width, out!.height]).toEqual(['optimized', 'video/mp4', 640, 360]);
    const bytes = await download(out!.objectKey);
    const boxes = mp4Boxes(bytes);
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const path = join(dir, 'out.mp4');
    await writeFile(path, bytes);
    const probed = await probe(path);
    expect([probed.video?.codec, probed.audio?.codec, probed.video?.width, probed.video?.height]).toEqual([
      'h264',
      'aac',
      640,
      360,
    ]);
    expect(beats.length).toBeGreaterThan(0);
  });

  it('makes a 320px WebP thumbnail from a video frame', async () => {
    const { upload } = await verified('video/mp4', 'clip.mp4');
    await runActivity(acts.extractMetadata, { uploadId: upload.id });
    await runActivity(acts.createThumbnail, { uploadId: upload.id });
    const [thumb] = await deps.uploads.listOutputs(upload.id);
    expect([thumb!.name, thumb!.width, thumb!.height]).toEqual(['thumbnail', 320, 180]);
  });
});
