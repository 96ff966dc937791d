import { ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client';
import { EICAR, makeImage } from '../support/media';
import { MiB, textBytes } from '../support/multipart-client';
import { PlatformProcess, freePort, startApi, startWorker } from '../support/platform';
import { createTenant } from '../support/uploader';
import { WebhookReceiver } from '../support/webhook-receiver';

const ADMIN_TOKEN = 'cli-admin-token-0123456789';
const PART_SIZE = 5 * MiB;
const CLI = join(__dirname, '../../dist/cli/intake.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the intake CLI (built, spawned) against the HTTP API + worker processes', () => {
  const receiver = new WebhookReceiver();
  const processes: PlatformProcess[] = [];
  let dir: string;
  let apiUrl: string;
  let api: ApiClient;
  let env: NodeJS.ProcessEnv;

  function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Run> } {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
    return { child, done };
  }
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => start(args, extraEnv).done;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'intake-e2e-cli-'));
    await receiver.start();
    const platformEnv = { ADMIN_TOKEN, WORK_DIR: join(dir, 'work'), LOG_LEVEL: 'info', MULTIPART_PART_SIZE: String(PART_SIZE) };
    const started = await startApi(platformEnv);
    processes.push(started.proc, await startWorker(platformEnv));
    apiUrl = started.url;
    const tenant = await createTenant(apiUrl, ADMIN_TOKEN, receiver.url);
    api = new ApiClient(apiUrl, tenant.apiKey);
    env = { INTAKE_API_URL: apiUrl, INTAKE_API_KEY: tenant.apiKey, INTAKE_STATE_DIR: join(dir, 'state') };
    await mkdir(join(dir, 'folder'));
    await Promise.all([
      makeImage(join(dir, 'folder', 'photo.png'), 640, 480, 'png'),
      writeFile(join(dir, 'folder', 'eicar.txt'), EICAR),
      writeFile(join(dir, 'big.txt'), textBytes(6 * PART_SIZE + 777, 'cli')),
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await receiver.stop();
  });

  it('uploads a folder and watches it: the image ready with outputs, EICAR rejected, exit code 1', async () => {
    const run = await cli(['upload', 'folder', '--watch']);
    expect([run.code, run.stderr]).toEqual([1, '']);
    const lines = run.stdout.split('\n');
    // Plain progress lines (stdout is no terminal), then one result line per file.
    const size = (await readFile(join(dir, 'folder', 'photo.png'))).length;
    expect(lines).toContain(`folder/photo.png: 100% (${size}/${size} bytes)`);
    expect(lines.find((l) => l.startsWith('folder/eicar.txt  '))).toMatch(/^folder\/eicar\.txt {2}[0-9a-f-]{36} {2}rejected {2}error: INFECTED: /);
    expect(lines.find((l) => l.startsWith('folder/photo.png  '))).toMatch(
      /^folder\/photo\.png {2}[0-9a-f-]{36} {2}ready {2}outputs: optimized \(image\/webp, [\d.]+ KiB\), thumbnail \(image\/webp, [\d.]+ KiB\)$/,
    );
  });

  it('answers JSON with --json, and status/events name the same upload (exit 0 when ready)', async () => {
    const run = await cli(['upload', 'folder/photo.png', '--watch', '--json']);
    expect(run.code).toBe(0);
    const { results } = JSON.parse(run.stdout);
    expect(results).toEqual([
      { file: 'folder/photo.png', id: expect.any(String), status: 'ready', resumed: false, outputs: expect.any(Array), error: null },
    ]);
    const status = await cli(['status', results[0].id, '--json']);
    expect([status.code, JSON.parse(status.stdout)]).toEqual([0, expect.objectContaining({ id: results[0].id, status: 'ready' })]);
    const events = await cli(['events', results[0].id]);
    expect([events.code, events.stdout.trim()]).toEqual([0, expect.stringMatching(new RegExp(`^photo\\.png {2}${results[0].id} {2}ready {2}outputs: `))]);
  });

  it('exits 2 on usage and configuration errors, 3 when the API cannot be reached', async () => {
    expect((await cli(['upload'])).code).toBe(2);
    expect((await cli(['frobnicate', 'x'])).code).toBe(2);
    expect((await cli(['status', 'x'], { INTAKE_API_KEY: '' })).code).toBe(2);
    const refused = await cli(['status', '3f6c1e2a-8d4b-4c1e-9a57-2b8f0d6e4c11'], { INTAKE_API_KEY: 'ik_not-a-key' });
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('UNAUTHORIZED')]);
    const down = await cli(['status', '3f6c1e2a-8d4b-4c1e-9a57-2b8f0d6e4c11'], { INTAKE_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect([down.code, down.stderr]).toEqual([3, expect.stringContaining('network error')]);
  });

  it('resumes a multipart upload after the CLI was killed, sending only the missing parts', async () => {
    // One part at a time (7 parts): a progress line at 30 % means part 2 is flowing, so part 1 is stored.
    const first = start(['upload', 'big.txt', '--mode', 'multipart', '--concurrency', '1']);
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      first.child.stdout!.on('data', (c: Buffer) => {
        seen += c.toString('utf8');
        if (/big\.txt: [3-9]0%/.test(seen)) resolve();
      });
      first.child.once('close', () => reject(new Error(`the CLI ended before it was killed:\n${seen}`)));
    });
    first.child.kill('SIGKILL');
    await first.done;

    const state = JSON.parse(await readFile(join(dir, 'state', 'uploads.json'), 'utf8'));
    const [entry] = Object.values(state) as Array<{ uploadId: string; partSize: number; apiUrl: string }>;
    expect(entry).toEqual({ uploadId: expect.any(String), partSize: PART_SIZE, apiUrl });
    const held = (await api.get(`/v1/uploads/${entry!.uploadId}/parts`)).body.parts.map((p: { partNumber: number }) => p.partNumber);
    expect(held).toContain(1);
    expect(held.length).toBeLessThan(7);

    const second = await cli(['upload', 'big.txt', '--watch', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).results).toEqual([
      expect.objectContaining({ file: 'big.txt', id: entry!.uploadId, status: 'ready', resumed: true }),
    ]);
    // Done: nothing left to resume.
    expect(JSON.parse(await readFile(join(dir, 'state', 'uploads.json'), 'utf8'))).toEqual({});
  });
});
