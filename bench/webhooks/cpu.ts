import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from '../upload/process-stats';

/** CPU seconds so far of the API and worker this process spawned, and of this process itself. */
export type CpuSnapshot = Record<'api' | 'worker' | 'bench', number>;

/** The pids of this process's children running `dist/src/<entry>.js`, found through /proc. */
function childPid(entry: 'main' | 'worker'): number {
  const children = readdirSync('/proc/self/task').flatMap((tid) =>
    readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  const pid = children.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`dist/src/${entry}.js`));
  if (pid === undefined) throw new Error(`no child process runs dist/src/${entry}.js`);
  return pid;
}

export function cpuSnapshot(): CpuSnapshot {
  const own = process.cpuUsage();
  return { api: cpuSeconds(childPid('main')), worker: cpuSeconds(childPid('worker')), bench: (own.user + own.system) / 1e6 };
}

export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return { api: after.api - before.api, worker: after.worker - before.worker, bench: after.bench - before.bench };
}
