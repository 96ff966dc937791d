import { PlatformProcess, freePort } from '../../test/support/platform';
import { cpuSeconds } from '../upload/process-stats';

/** The API and one worker, both with the bench's environment, and the URL the API listens on. */
export class Platform {
  private constructor(
    readonly apiUrl: string,
    private readonly processes: PlatformProcess[],
  ) {}

  static async start(env: NodeJS.ProcessEnv, logDir: string): Promise<Platform> {
    const port = await freePort();
    const api = PlatformProcess.spawn('api', 'main', { ...env, HOST: '127.0.0.1', PORT: String(port) }, logDir);
    const worker = PlatformProcess.spawn('worker', 'worker', env, logDir);
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

  /**
   * CPU seconds (user + system) the API and worker processes have used so far, from /proc (Linux).
   * Unlike throughput, barely moved by whatever else keeps the machine busy.
   */
  cpuSeconds(): { api: number; worker: number } {
    const [api, worker] = this.processes.map((p) => cpuSeconds(p.child.pid!));
    return { api: api!, worker: worker! };
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
