import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createActivities } from '../../activities';
import { runActivity } from '../support/activity-env';
import { integratedLoudness, makeLeadInVideo, makeTone, probe } from '../support/media';
import { RealDeps, ingestedUpload, realDeps } from '../support/real-deps';

/** The video preview and audio steps on a worker's local copy (ffmpeg, sharp, S3, PostgreSQL). */
describe('poster, storyboard and audio activities', () => {
  let deps: RealDeps;
  let acts: ReturnType<typeof createActivities>;
  let dir: string;

  beforeAll(async () => {
    deps = await realDeps();
    acts = createActivities(deps);
    dir = await mkdtemp(join(tmpdir(), 'intake-previews-'));
    await makeLeadInVideo(join(dir, 'lead-in.mp4'), { lead: 'black', leadSeconds: 1, seconds: 40, width: 1280, height: 720 });
    await makeTone(join(dir, 'quiet.wav'), { seconds: 6, gainDb: -17 });
  });
  afterAll(() => deps.close());

  async function output(uploadId: string, name: string): Promise<Buffer> {
    const row = (await deps.uploads.listOutputs(uploadId)).find((o) => o.name === name);
    if (!row) throw new Error(`no ${name} output`);
    const path = join(dir, `${uploadId}-${name}`);
    await deps.storage.download(row.objectKey, path);
    return readFile(path);
  }

  const meanLuma = async (image: Buffer) => (await sharp(image).greyscale().stats()).channels[0]!.mean;

  it('a 40 s clip whose first second is black gets a poster and thumbnail from one picked, non-black frame', async () => {
    const { upload } = await ingestedUpload(deps, acts, { contentType: 'video/mp4', body: join(dir, 'lead-in.mp4') });
    await runActivity(acts.extractMetadata, { uploadId: upload.id });
    await runActivity(acts.createPoster, { uploadId: upload.id });

    const poster = await output(upload.id, 'poster');
    const thumbnail = await output(upload.id, 'thumbnail');
    expect(await meanLuma(poster)).toBeGreaterThan(40);
    const [p, t] = [await sharp(poster).metadata(), await sharp(thumbnail).metadata()];
    expect([p.format, p.width, p.height, t.format, t.width, t.height]).toEqual(['webp', 1280, 720, 'webp', 320, 180]);
    // The same frame: the thumbnail is the poster scaled down.
    const small = await sharp(poster).resize(320, 180).greyscale().raw().toBuffer();
    const thumb = await sharp(thumbnail).greyscale().raw().toBuffer();
    const diff = small.reduce((sum, v, i) => sum + Math.abs(v - thumb[i]!), 0) / small.length;
    expect(diff).toBeLessThan(12);
  });

  it('renders a storyboard covering the whole duration, its grid in the metadata', async () => {
    const { upload } = await ingestedUpload(deps, acts, { contentType: 'video/mp4', body: join(dir, 'lead-in.mp4') });
    await runActivity(acts.extractMetadata, { uploadId: upload.id });
    await runActivity(acts.createStoryboard, { uploadId: upload.id, releaseAfter: true });
    const { metadata } = await deps.uploads.get(upload.id);
    const layout = metadata!.storyboard as { sheetWidth: number; sheetHeight: number; tiles: number; intervalSeconds: number };
    expect(layout.tiles * layout.intervalSeconds).toBeGreaterThanOrEqual(Number(metadata!.durationSeconds));
    const sheet = await sharp(await output(upload.id, 'storyboard')).metadata();
    expect([sheet.format, sheet.width, sheet.height]).toEqual(['jpeg', layout.sheetWidth, layout.sheetHeight]);
    // Its WebVTT is served by the API from the grid; the row names the sheet it maps.
    const rows = await deps.uploads.listOutputs(upload.id);
    const vtt = rows.find((o) => o.name === 'storyboard_vtt');
    expect(vtt).toMatchObject({ contentType: 'text/vtt', objectKey: rows.find((o) => o.name === 'storyboard')!.objectKey });
  });

  it('an audio upload gets a loudness-normalised M4A and a waveform; a policy can leave the waveform out', async () => {
    const { upload } = await ingestedUpload(deps, acts, { contentType: 'audio/wav', body: join(dir, 'quiet.wav') });
    await runActivity(acts.extractMetadata, { uploadId: upload.id });
    await runActivity(acts.processAudio, { uploadId: upload.id });
    const m4a = join(dir, `${upload.id}.m4a`);
    const row = (await deps.uploads.listOutputs(upload.id)).find((o) => o.name === 'optimized')!;
    expect(row.contentType).toBe('audio/mp4');
    await deps.storage.download(row.objectKey, m4a);
    expect((await probe(m4a)).audio?.codec).toBe('aac');
    expect(Math.abs((await integratedLoudness(m4a)) - -16)).toBeLessThan(2);
    const wave = await sharp(await output(upload.id, 'waveform')).metadata();
    expect([wave.format, wave.width, wave.height]).toEqual(['png', 1200, 200]);

    const other = await ingestedUpload(deps, acts, { contentType: 'audio/wav', body: join(dir, 'quiet.wav') });
    await runActivity(acts.extractMetadata, { uploadId: other.upload.id });
    await runActivity(acts.processAudio, { uploadId: other.upload.id, outputs: ['optimized'], releaseAfter: true });
    expect((await deps.uploads.listOutputs(other.upload.id)).map((o) => o.name)).toEqual(['optimized']);
  });
});
