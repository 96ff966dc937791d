import { statfs } from 'node:fs/promises';
import { ErrorCode } from '../../common/errors';

/** What readiness asks of the process; the worker passes its real parts, unit tests plain functions. */
export interface ReadinessProbes {
  /** Resolves when Temporal's frontend answers (a health check with a deadline). */
  temporal(): Promise<void>;
  /** States of this process's Temporal Workers (`RUNNING` while they poll). */
  workerStates(): readonly string[];
  /** The scratch directory, whose file system needs `minFreeBytes` free. */
  workDir: string;
  minFreeBytes: number;
}

export interface Readiness {
  ready: boolean;
  body: Record<string, unknown>;
}

/**
 * Readiness for an orchestrator: Temporal reachable, every Worker polling, and room on the scratch
 * disk. Once the drain starts (SIGTERM) it answers not ready at once, so no new work is routed here
 * while the Workers finish what they hold.
 */
export class WorkerReadiness {
  private draining = false;

  constructor(private readonly probes: ReadinessProbes) {}

  drain(): void {
    this.draining = true;
  }

  async check(): Promise<Readiness> {
    const [temporal, freeBytes] = await Promise.all([
      this.probes.temporal().then(() => 'up' as const, () => 'down' as const),
      statfs(this.probes.workDir).then((s) => s.bavail * s.bsize, () => null),
    ]);
    const states = this.probes.workerStates();
    const checks = {
      draining: this.draining,
      temporal,
      workers: states.length > 0 && states.every((s) => s === 'RUNNING') ? 'running' : states.join(',') || 'none',
      disk: freeBytes === null ? 'missing' : freeBytes >= this.probes.minFreeBytes ? 'ok' : 'low',
    };
    const failing = [
      ...(checks.draining ? ['draining'] : []),
      ...(checks.temporal === 'down' ? ['temporal'] : []),
      ...(checks.workers !== 'running' ? ['workers'] : []),
      ...(checks.disk !== 'ok' ? ['disk'] : []),
    ];
    const disk = { freeBytes, minFreeBytes: this.probes.minFreeBytes };
    if (failing.length === 0) return { ready: true, body: { status: 'ready', checks, disk } };
    return {
      ready: false,
      body: {
        status: checks.draining ? 'draining' : 'unavailable',
        checks,
        disk,
        error: { code: ErrorCode.DEPENDENCY_UNAVAILABLE, message: `Not ready: ${failing.join(', ')}` },
      },
    };
  }
}
