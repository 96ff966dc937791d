import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { workflowIdFor } from '../../workflows/contract';
import { ApiClient, putPresigned } from '../support/api-client';
import { EICAR, PHOTO_GPS, makeImage, makeRotatedGpsJpeg, makeVideo, parseStoryboardVtt, probe } from '../support/media';
import { PlatformProcess, startApi, startWorker } from '../support/platform';
import { eventually, testConfig } from '../support/stack';
import { TenantCredentials, createTenant, uploadFile, webhookFor } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';
import { recordHistory, recordingHistories } from '../support/workflow-histories';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

describe('the platform end to end (HTTP API + worker processes on the real stack)', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let dir: string;
  let apiUrl: string;
  let tenant: TenantCredentials;
  let api: ApiClient;
  let temporal: Client;

  beforeAll(async () => {
    const config = testConfig();
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-'));
    await receiver.start();
    const env = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info' };
    const started = await startApi(env);
    processes.push(started.proc, await startWorker(env));
    apiUrl = started.url;
    tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });
    await Promise.all([
      makeRotatedGpsJpeg(join(dir, 'photo.jpg')),
      makeImage(join(dir, 'chart.png'), 800, 600, 'png'),
      makeVideo(join(dir, 'clip.mp4'), { width: 640, height: 360, seconds: 2 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await temporal?.connection.close();
    await receiver.stop();
  });

  /** With RECORD_WORKFLOW_HISTORIES=1, keeps this upload's workflow history as a replay fixture. */
  async function keepHistory(uploadId: string, name: string): Promise<void> {
    if (recordingHistories()) await recordHistory(temporal, testConfig(), workflowIdFor(uploadId), name);
  }

  /** Downloads every output of a ready upload, as the tenant's backend would. */
  async function fetchOutputs(view: { outputs: Array<{ name: string; url: string }> }) {
    const files: Record<string, string> = {};
    for (const output of view.outputs) {
      const res = await fetch(output.url);
      expect(res.status).toBe(200);
      files[output.name] = join(dir, `${randomUUID()}-${output.name}`);
      await writeFile(files[output.name]!, Buffer.from(await res.arrayBuffer()));
    }
    return files;
  }

  describe('the API contract', () => {
    it('answers 401 without a valid key, admin or tenant', async () => {
      const id = randomUUID();
      for (const client of [api.withToken(undefined), api.withToken('ik_not-a-real-key'), api.withToken(ADMIN_TOKEN)]) {
        const res = await client.get(`/v1/uploads/${id}`);
        expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      }
      const admin = await api.post('/v1/admin/tenants', { name: 'x' }); // a tenant key is no admin token
      expect([admin.status, admin.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    });

    it('refuses bad upload requests with stable codes', async () => {
      const cases: Array<[unknown, number, string]> = [
        [{ filename: 'a.exe', contentType: 'application/x-msdownload', size: 10 }, 400, 'UNSUPPORTED_TYPE'],
        [{ filename: 'a.mp4', contentType: 'video/mp4', size: 6 * 1024 ** 3 }, 413, 'FILE_TOO_LARGE'],
        [{ filename: 'a.png', contentType: 'image/png', size: 0 }, 400, 'VALIDATION_FAILED'],
        [{ filename: 'a.png', contentType: 'image/png' }, 400, 'VALIDATION_FAILED'],
        [{ filename: 'a.png', contentType: 'image/png', size: 5, surprise: true }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [body, status, code] of cases) {
        const res = await api.post('/v1/uploads', body);
        expect([res.status, res.body.error.code]).toEqual([status, code]);
        expect(typeof res.body.error.message).toBe('string');
      }
      const broken = await api.call('POST', '/v1/uploads', undefined, '{"filename": ');
      expect([broken.status, broken.body.error.code]).toEqual([400, 'INVALID_JSON']);
      const unknown = await api.get(`/v1/uploads/${randomUUID()}`);
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
      const route = await api.get('/v1/nothing-here');
      expect([route.status, route.body.error.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('hides one tenant\'s uploads from another', async () => {
      const created = await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 10 });
      const other = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
      const res = await api.withToken(other.apiKey).get(`/v1/uploads/${created.body.id}`);
      expect([res.status, res.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
      const complete = await api.withToken(other.apiKey).post(`/v1/uploads/${created.body.id}/complete`);
      expect(complete.status).toBe(404);
    });
  });

  it('processes a rotated JPEG with GPS: oriented outputs without metadata, GPS kept in metadata', async () => {
    const id = await uploadFile(api, join(dir, 'photo.jpg'), 'image/jpeg');
    const hook = await webhookFor(receiver, id);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.ready' });
    expect(hook.body.data).toMatchObject({ id, status: 'ready', error: null, contentType: 'image/jpeg' });

    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view).toMatchObject({ status: 'ready', stage: 'done', progress: 100 });
    expect(view.metadata.gps.latitude).toBeCloseTo(PHOTO_GPS.latitude, 3);
    expect(view.metadata.gps.longitude).toBeCloseTo(PHOTO_GPS.longitude, 3);
    expect(view.outputs.map((o: any) => [o.name, o.contentType, o.width, o.height])).toEqual([
      ['optimized', 'image/webp', 480, 640],
      ['thumbnail', 'image/webp', 240, 320],
    ]);
    const files = await fetchOutputs(view);
    for (const [name, [w, h]] of Object.entries({ optimized: [480, 640], thumbnail: [240, 320] })) {
      const meta = await sharp(files[name]!).metadata();
      expect([meta.format, meta.width, meta.height, meta.exif]).toEqual(['webp', w, h, undefined]);
      // No GPS anywhere in the bytes handed to end users.
      expect((await readFile(files[name]!)).includes(Buffer.from('GPS'))).toBe(false);
    }
  });

  it('processes a PNG', async () => {
    const id = await uploadFile(api, join(dir, 'chart.png'), 'image/png');
    const hook = await webhookFor(receiver, id);
    expect(hook.body.type).toBe('upload.ready');
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    const files = await fetchOutputs(view);
    expect((await sharp(files.optimized!).metadata()).width).toBe(800);
    const thumb = await sharp(files.thumbnail!).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', 320, 240]);
    await keepHistory(id, 'upload-image-ready');
  });

  it('transcodes an H.264 video and takes a thumbnail from it', async () => {
    const id = await uploadFile(api, join(dir, 'clip.mp4'), 'video/mp4');
    const hook = await webhookFor(receiver, id, 120_000);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.ready' });
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view.metadata).toMatchObject({ kind: 'video', videoCodec: 'h264', audioCodec: 'aac', width: 640, height: 360 });
    const files = await fetchOutputs(view);
    const video = await probe(files.optimized!);
    expect([video.video?.codec, video.audio?.codec, video.video?.width, video.video?.height]).toEqual([
      'h264',
      'aac',
      640,
      360,
    ]);
    expect(video.duration).toBeCloseTo(2, 0);
    const thumb = await sharp(files.thumbnail!).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', 320, 180]);
    // Poster and storyboard from the same local copy; the storyboard's grid is in the metadata.
    expect(view.outputs.map((o: { name: string }) => o.name)).toEqual(['hls', 'optimized', 'poster', 'storyboard', 'storyboard_vtt', 'thumbnail']);
    const poster = await sharp(files.poster!).metadata();
    expect([poster.format, poster.width, poster.height]).toEqual(['webp', 640, 360]);
    const sheet = await sharp(files.storyboard!).metadata();
    const layout = view.metadata.storyboard;
    expect([sheet.format, sheet.width, sheet.height]).toEqual(['jpeg', layout.sheetWidth, layout.sheetHeight]);
    expect(layout.tiles * layout.intervalSeconds).toBeGreaterThanOrEqual(view.metadata.durationSeconds);
    // The WebVTT covers the whole duration, each cue a tile of the sheet by a link that works.
    const cues = parseStoryboardVtt(await readFile(files.storyboard_vtt!, 'utf8'));
    expect(cues[0]!.start).toBe(0);
    expect(cues.at(-1)!.end).toBeCloseTo(view.metadata.durationSeconds, 2);
    cues.slice(1).forEach((c, i) => expect(c.start).toBe(cues[i]!.end));
    expect((await fetch(cues[0]!.url)).status).toBe(200);
    // The ladder: only rungs at or below the 640x360 source, served by the API from a signed link.
    const master = await readFile(files.hls!, 'utf8');
    expect(master.match(/RESOLUTION=\d+x\d+/g)).toEqual(['RESOLUTION=640x360']);
    const variant = await fetch(master.split('\n').find((l) => l.startsWith('http'))!);
    expect([variant.status, variant.headers.get('access-control-allow-origin')]).toEqual([200, '*']);
    expect(await variant.text()).toMatch(/#EXTINF:[\d.]+,\nhttp.*\n#EXT-X-ENDLIST/);
    const tampered = view.outputs.find((o: { name: string }) => o.name === 'hls').url.replace(/signature=./, 'signature=x');
    expect((await fetch(tampered)).status).toBe(403);
    await keepHistory(id, 'upload-video-ready');
  });

  it('rejects EICAR as infected, with no outputs', async () => {
    const id = await uploadFile(api, EICAR, 'text/plain');
    const hook = await webhookFor(receiver, id);
    expect(WebhookReceiver.verify(hook, tenant.webhookSecret)).toMatchObject({ type: 'upload.rejected' });
    const view = (await api.get(`/v1/uploads/${id}`)).body;
    expect(view.status).toBe('rejected');
    expect(view.error.code).toBe('INFECTED');
    expect(view.error.message).toMatch(/Eicar-Test-Signature/);
    expect(view.outputs).toEqual([]);
    await keepHistory(id, 'upload-rejected');
  });

  it('rejects a valid JPEG with EICAR appended as infected (signatures match anywhere in a file)', async () => {
    const photo = await readFile(join(dir, 'photo.jpg'));
    const id = await uploadFile(api, Buffer.concat([photo, EICAR]), 'image/jpeg');
    const hook = await webhookFor(receiver, id);
    expect(hook.body.data).toMatchObject({ status: 'rejected', error: { code: 'INFECTED' }, outputs: [], sha256: null });
  });

  it('rejects a file whose bytes contradict its declared type', async () => {
    const id = await uploadFile(api, join(dir, 'photo.jpg'), 'image/png');
    const hook = await webhookFor(receiver, id);
    expect(hook.body.type).toBe('upload.rejected');
    expect(hook.body.data).toMatchObject({ status: 'rejected', error: { code: 'TYPE_MISMATCH' }, outputs: [] });
  });

  it('makes a plain-text file ready without media outputs', async () => {
    const id = await uploadFile(api, Buffer.from('just some notes\n'), 'text/plain');
    const hook = await webhookFor(receiver, id);
    expect(hook.body.data).toMatchObject({ status: 'ready', outputs: [], metadata: null });
  });

  it('lets storage refuse a PUT of another size, and will not complete without the bytes', async () => {
    const bytes = await readFile(join(dir, 'chart.png'));
    const created = await api.post('/v1/uploads', { filename: 'c.png', contentType: 'image/png', size: bytes.length + 100 });
    const put = await putPresigned(
      created.body.upload.url,
      { ...created.body.upload.headers, 'Content-Length': String(bytes.length) },
      bytes,
    );
    expect(put.status).toBe(403);
    const complete = await api.post(`/v1/uploads/${created.body.id}/complete`);
    expect([complete.status, complete.body.error.code]).toEqual([409, 'OBJECT_NOT_UPLOADED']);
    expect((await api.get(`/v1/uploads/${created.body.id}`)).body.status).toBe('awaiting_upload');
  });

  it('treats a second complete as a no-op: one workflow, one event', async () => {
    const bytes = Buffer.from('idempotent\n');
    const created = await api.post('/v1/uploads', { filename: 'n.txt', contentType: 'text/plain', size: bytes.length });
    await putPresigned(created.body.upload.url, created.body.upload.headers, bytes);
    const first = await api.post(`/v1/uploads/${created.body.id}/complete`);
    const second = await api.post(`/v1/uploads/${created.body.id}/complete`);
    expect([first.status, first.body]).toEqual([202, { id: created.body.id, status: 'processing' }]);
    expect(second.status).toBe(202);
    expect(['processing', 'ready']).toContain(second.body.status);
    await webhookFor(receiver, created.body.id);
    const third = await api.post(`/v1/uploads/${created.body.id}/complete`);
    expect([third.status, third.body.status]).toEqual([202, 'ready']);
    const runs = [];
    for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowIdFor(created.body.id)}'` })) {
      runs.push(run);
    }
    expect(runs).toHaveLength(1);
    const history = await temporal.workflow.getHandle(workflowIdFor(created.body.id)).fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(1);
    expect(receiver.outcomes(created.body.id)).toHaveLength(1);
  });

  it('expires an upload whose bytes never arrive', async () => {
    const created = await api.post('/v1/uploads', {
      filename: 'late.png',
      contentType: 'image/png',
      size: 1000,
      expiresInSeconds: 2,
    });
    expect(created.status).toBe(201);
    const view = await eventually(
      async () => {
        const res = await api.get(`/v1/uploads/${created.body.id}`);
        return res.body.status === 'expired' ? res.body : undefined;
      },
      30_000,
      'the upload to expire',
    );
    expect(view.error.code).toBe('UPLOAD_EXPIRED');
    const complete = await api.post(`/v1/uploads/${created.body.id}/complete`);
    expect([complete.status, complete.body.error.code]).toEqual([410, 'UPLOAD_EXPIRED']);
    await keepHistory(created.body.id, 'upload-expired');
  });
});
