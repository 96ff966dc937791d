import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { rssBytes } from '../upload/process-stats';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds of a process and of its children it has waited for (utime, stime, cutime, cstime):
 * a worker's ffmpeg runs count here once they have exited.
 */
export function cpuWithChildren(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

/** Every process below `pid` (ffmpeg, ffprobe, exiftool ...), from /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (p: number) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return; // gone meanwhile
    }
    for (const tid of tids) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
      } catch {
        continue;
      }
      for (const c of children ? children.split(/\s+/).map(Number) : []) {
        found.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return found;
}

/** The peak resident set the kernel saw for the process since it started (VmHWM), bytes. */
export function peakRssBytes(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
  if (!match) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function rssOrZero(pid: number): number {
  try {
    return rssBytes(pid);
  } catch {
    return 0; // exited between listing and reading
  }
}

export interface RssSamples {
  /** The process itself: peak and mean of the samples, bytes. */
  peak: number;
  mean: number;
  /** The process plus every descendant at the same instant (its media tools), peak, bytes. */
  treePeak: number;
  samples: number;
}

/** Polls a process's RSS (and its tree's) every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs = 100): { stop: () => RssSamples } {
  let peak = 0;
  let treePeak = 0;
  let sum = 0;
  let samples = 0;
  const take = () => {
    const own = rssOrZero(pid);
    if (own === 0) return;
    const tree = own + descendants(pid).reduce((total, p) => total + rssOrZero(p), 0);
    peak = Math.max(peak, own);
    treePeak = Math.max(treePeak, tree);
    sum += own;
    samples++;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return { peak, mean: samples ? sum / samples : 0, treePeak, samples };
    },
  };
}
