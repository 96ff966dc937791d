import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** dist/ (this file runs as dist/bench/pipeline/processes.js) and the repository root above it. */
const DIST = join(__dirname, '..', '..');
const ROOT = join(DIST, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One API or worker process, started from dist/ as production runs it; output goes to a log file. */
class AppProcess {
  readonly exited: Promise<void>;
  private stopping = false;

  constructor(
    readonly name: string,
    readonly logPath: string,
    private readonly child: ChildProcess,
  ) {
    const log = createWriteStream(logPath);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(name: string, entry: string, env: NodeJS.ProcessEnv, logDir: string): AppProcess {
    const script = join(DIST, 'src', entry);
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\``);
    const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new AppProcess(name, join(logDir, `${name}.log`), child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Rejects if the process exits before stop() was asked for. */
  unexpectedExit(): Promise<never> {
    return this.exited.then(() => {
      if (!this.stopping) throw new Error(`${this.name} exited unexpectedly (${this.describeExit()}); see ${this.logPath}`);
      return new Promise<never>(() => undefined);
    });
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

  private describeExit(): string {
    return this.child.signalCode ? `signal ${this.child.signalCode}` : `code ${this.child.exitCode}`;
  }
}

/** The API and one worker, both with the bench's environment, and the URL the API listens on. */
export class Platform {
  private constructor(
    readonly apiUrl: string,
    private readonly processes: AppProcess[],
  ) {}

  static async start(env: NodeJS.ProcessEnv, logDir: string): Promise<Platform> {
    const port = await freePort();
    const api = AppProcess.start('api', 'main.js', { ...env, HOST: '127.0.0.1', PORT: String(port) }, logDir);
    const worker = AppProcess.start('worker', 'worker.js', env, logDir);
    const platform = new Platform(`http://127.0.0.1:${port}`, [api, worker]);
    try {
      await Promise.race([platform.waitHealthy(60_000), platform.unexpectedExit()]);
    } catch (err) {
      await platform.stop();
      throw err;
    }
    return platform;
  }

  get logPaths(): string[] {
    return this.processes.map((p) => p.logPath);
  }

  /** Race any phase against this so a crashed API or worker fails the bench instead of hanging it. */
  unexpectedExit(): Promise<never> {
    return Promise.race(this.processes.map((p) => p.unexpectedExit()));
  }

  async stop(): Promise<void> {
    // API first, so nothing new is started while the worker drains.
    for (const p of this.processes) await p.stop();
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.apiUrl}/health`, { signal: AbortSignal.timeout(3000) });
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`API not healthy after ${timeoutMs / 1000}s (last: ${last}); see ${this.logPaths.join(', ')}`);
  }
}
