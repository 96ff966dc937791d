import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { eventually } from './stack';

const ROOT = resolve(__dirname, '..', '..');
const LOG_DIR = join(ROOT, '.run', 'test', 'logs');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A real API or worker process, started from the build in dist/ exactly as production runs it. */
export class PlatformProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    mkdirSync(LOG_DIR, { recursive: true });
    const log = createWriteStream(join(LOG_DIR, `${name}-${child.pid}.log`));
    const capture = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      log.write(chunk);
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static spawn(name: string, entry: 'main' | 'worker', env: NodeJS.ProcessEnv): PlatformProcess {
    const script = join(ROOT, 'dist', 'src', `${entry}.js`);
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does)`);
    const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
    return new PlatformProcess(name, child);
  }

  get logs(): string {
    return this.output;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    await eventually(
      () => {
        if (this.child.exitCode !== null) throw new Error(`${this.name} exited early:\n${this.output.slice(-2000)}`);
        return pattern.test(this.output) ? true : undefined;
      },
      timeoutMs,
      `${this.name} to log ${pattern}`,
    );
  }

  /** SIGKILL: the process gets no chance to clean up, as when a machine dies. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export async function startApi(env: NodeJS.ProcessEnv): Promise<{ proc: PlatformProcess; url: string }> {
  const port = await freePort();
  const proc = PlatformProcess.spawn('api', 'main', { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`api exited early:\n${proc.logs.slice(-2000)}`);
      const res = await fetch(`${url}/health`);
      return res.status === 200 ? true : undefined;
    },
    30_000,
    'the API to report healthy',
  );
  return { proc, url };
}

export async function startWorker(env: NodeJS.ProcessEnv, name = 'worker'): Promise<PlatformProcess> {
  const proc = PlatformProcess.spawn(name, 'worker', env);
  await proc.waitForLog(/"msg":"worker started"/);
  return proc;
}
