import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { eventually } from './stack';

// Jest-free on purpose: the benchmarks use these too (compiled under dist/).

/** The repository root: the nearest folder above with package.json, from test/support or dist/. */
function repoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${from}`);
}

const ROOT = repoRoot(__dirname);
const TEST_LOG_DIR = join(ROOT, '.run', 'test', 'logs');

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
  private stopping = false;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    const log = createWriteStream(logPath);
    const capture = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      log.write(chunk);
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static spawn(name: string, entry: 'main' | 'worker', env: NodeJS.ProcessEnv, logDir = TEST_LOG_DIR): PlatformProcess {
    const script = join(ROOT, 'dist', 'src', `${entry}.js`);
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does)`);
    mkdirSync(logDir, { recursive: true });
    const child = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new PlatformProcess(name, child, join(logDir, `${name}-${child.pid}.log`));
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
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

  /** Sends `signal` and waits for the exit; SIGKILL gives no chance to clean up, as when a machine dies. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.stopping = true;
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM (the worker drains, up to its 20 s grace time), then SIGKILL if it lingers. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Rejects if the process exits before kill() or stop() was asked for; never resolves otherwise. */
  unexpectedExit(): Promise<never> {
    return this.exited.then(() => {
      if (!this.stopping) {
        const how = this.child.signalCode ? `signal ${this.child.signalCode}` : `code ${this.child.exitCode}`;
        throw new Error(`${this.name} exited unexpectedly (${how}); see ${this.logPath}`);
      }
      return new Promise<never>(() => undefined);
    });
  }
}

/**
 * How long a process may take to come up. Generous: it only bounds a process that never comes up,
 * and a loaded CI machine (or several suites side by side) starts slowly; readiness is an event.
 */
const STARTUP_TIMEOUT_MS = 120_000;

/** Waits for `ready`; a process that does not get there is killed, so it cannot linger and take tasks. */
async function startedOrKilled(proc: PlatformProcess, ready: Promise<unknown>): Promise<void> {
  try {
    await ready;
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
}

export async function startApi(env: NodeJS.ProcessEnv, name = 'api'): Promise<{ proc: PlatformProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Links the API serves itself (HLS playlists) must point at this instance unless a spec says otherwise.
  const proc = PlatformProcess.spawn(name, 'main', { PUBLIC_API_URL: url, ...env, PORT: String(port), HOST: '127.0.0.1' });
  const healthy = eventually(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited early:\n${proc.logs.slice(-2000)}`);
      const res = await fetch(`${url}/health`);
      return res.status === 200 ? true : undefined;
    },
    STARTUP_TIMEOUT_MS,
    `${name} to report healthy`,
  );
  await startedOrKilled(proc, healthy);
  return { proc, url };
}

export async function startWorker(env: NodeJS.ProcessEnv, name = 'worker'): Promise<PlatformProcess> {
  const proc = PlatformProcess.spawn(name, 'worker', env);
  await startedOrKilled(proc, proc.waitForLog(/"msg":"worker started"/, STARTUP_TIMEOUT_MS));
  return proc;
}
