import { PlatformProcess, freePort } from '../../test/support/platform';
import { eventually } from '../../test/support/stack';

/** How long an API or worker may take to come up on a busy machine (readiness is an event). */
const STARTUP_TIMEOUT_MS = 120_000;

/**
 * The API and the worker processes a measurement needs, each with the bench's environment plus its
 * own settings (queues, slots, segment length), logs in one directory. A process that exits
 * without being asked to fails whatever the bench is waiting on (`guarded`).
 */
export class VideoPlatform {
  apiUrl = '';
  private readonly processes: PlatformProcess[] = [];
  private crash!: (err: unknown) => void;
  private readonly crashed = new Promise<never>((_, reject) => (this.crash = reject));

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly logDir: string,
  ) {
    this.crashed.catch(() => undefined); // seen by whichever wait is running; not unhandled in between
  }

  /** Races `work` against an unexpected exit of any process started here. */
  guarded<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.crashed]);
  }

  async startApi(): Promise<string> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const api = this.spawn('api', 'main', { PUBLIC_API_URL: url, PORT: String(port), HOST: '127.0.0.1' });
    await eventually(
      async () => {
        if (!api.running) throw new Error(`the API exited early; see ${api.logPath}`);
        return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) })).status === 200 ? true : undefined;
      },
      STARTUP_TIMEOUT_MS,
      'the API to report healthy',
    );
    this.apiUrl = url;
    return url;
  }

  /** A worker with `settings` over the bench's environment, once it logs that it polls its queues. */
  async startWorker(name: string, settings: Record<string, string> = {}): Promise<PlatformProcess> {
    const worker = this.spawn(name, 'worker', settings);
    await worker.waitForLog(/"msg":"worker started"/, STARTUP_TIMEOUT_MS);
    return worker;
  }

  /** SIGTERM (the worker drains), then SIGKILL if it lingers. */
  async stop(...processes: PlatformProcess[]): Promise<void> {
    await Promise.all(processes.map((p) => p.stop()));
  }

  async stopAll(): Promise<void> {
    // API first, so nothing new is started while the workers drain.
    for (const p of this.processes) await p.stop();
  }

  private spawn(name: string, entry: 'main' | 'worker', settings: Record<string, string>): PlatformProcess {
    // Readiness is read from info logs, whatever level the stack's environment asks for.
    const proc = PlatformProcess.spawn(name, entry, { ...this.env, LOG_LEVEL: 'info', ...settings }, this.logDir);
    this.processes.push(proc);
    proc.unexpectedExit().catch((err) => this.crash(err));
    return proc;
  }
}
