import type { CrashResult } from './crash';
import type { MemoryRun } from './memory';
import type { OverheadResult } from './overhead';
import type { ParallelResult } from './parallel';

export const GOALS = {
  /** bare ffmpeg / Intake's segment activity, same segment */
  overhead: 0.95,
  /** kill -> the lost segment started again: the heartbeat timeout plus 5 s */
  resumeSeconds: 20 + 5,
  /** worker peak RSS, MB */
  peakRssMb: 400,
} as const;

export interface Report {
  machine: { cores: number; cpu: string; memGiB: number; loadAtStart: number[]; loadAtEnd?: number[] };
  settings: Record<string, unknown>;
  overhead?: OverheadResult;
  crash?: CrashResult;
  memory?: MemoryRun[];
  parallel?: ParallelResult;
  /** Parts that failed, with the error; the others' figures stand. */
  failures: Partial<Record<'overhead' | 'crash' | 'memory' | 'parallel', string>>;
}

const s = (seconds: number) => `${seconds.toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
const clip = (c: { bytes: number; seconds: number }) => `${c.seconds.toFixed(1)} s, ${mb(c.bytes)}`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')).join('\n');
}

function overhead(r: OverheadResult): string[] {
  return [
    '',
    `Wrapper overhead: one ${clip(r.clip)} clip as a single segment, rungs ${r.rungs.join(' + ')}`,
    '',
    table([
      ['path', 'seconds per run'],
      ['bare ffmpeg, SegmentEncoder\'s arguments', r.bareSeconds.map((x) => x.toFixed(1)).join(' ')],
      ['SegmentEncoder.encodeSegment in the bench process', r.encoderSeconds.toFixed(1)],
      ['Intake: transcodeSegment started -> completed', r.intakeSeconds.map((x) => x.toFixed(1)).join(' ')],
      ['Intake: transcodeSegment scheduled -> completed', r.intakeScheduledSeconds.map((x) => x.toFixed(1)).join(' ')],
    ]),
    '',
    `  bare/Intake (medians) ${r.ratio.toFixed(3)}   goal >= ${GOALS.overhead}: ${verdict(r.ratio >= GOALS.overhead)}`,
    '',
    `  the whole upload (complete -> workflow completed): ${s(r.wallSeconds)}, by activity (first scheduled -> last closed; work):`,
    table([['activity', 'count', 'span', 'work'], ...r.stages.map((st) => [st.type, String(st.count), s(st.spanSeconds), s(st.busySeconds)])]),
  ];
}

function crash(r: CrashResult): string[] {
  return [
    '',
    `Crash recovery: ${clip(r.clip)}, ${r.segments} segments of ~${r.segmentSeconds} s; light worker + 2 transcode workers, one killed (kill -9) mid-segment`,
    '',
    table([
      ['figure', 'value'],
      ['killed segment', `${r.lostActivityId}, ${r.progressAtLastHeartbeat === null ? 'no' : `${(r.progressAtLastHeartbeat * 100).toFixed(0)} % at its last`} recorded heartbeat`],
      ['kill -> attempt failed (heartbeat timeout)', s(r.toTimeoutSeconds)],
      ['kill -> replacement worker polling', s(r.replacementReadySeconds)],
      ['kill -> lost segment started again', `${s(r.toResumeSeconds)} (on ${r.resumedBy})`],
      ['media re-encoded', `${s(r.reencodedSeconds)} (one segment)`],
      ['segments that ran more than once', String(r.retriedSegments)],
      ['upload wall time', s(r.wallSeconds)],
    ]),
    '',
    `  resume ${s(r.toResumeSeconds)}   goal <= ${GOALS.resumeSeconds} s: ${verdict(r.toResumeSeconds <= GOALS.resumeSeconds)}`,
    `  re-encoded ${s(r.reencodedSeconds)}, ${r.retriedSegments} segment(s) repeated   goal <= one segment: ${verdict(r.retriedSegments <= 1)}`,
  ];
}

function memory(runs: MemoryRun[]): string[] {
  const worst = Math.max(...runs.map((r) => r.busy.peak));
  const flat = runs.length > 1 ? runs[runs.length - 1]!.busy.peak / runs[0]!.busy.peak : 1;
  return [
    '',
    'Memory: a large 1080p video through a fresh transcode worker beside a light worker, RSS polled every 100 ms',
    '',
    table([
      ['video', 'segments', 'idle RSS (mean)', 'peak RSS busy', 'busy/idle', 'VmHWM', 'peak worker + tools', 'light worker peak', 'upload wall'],
      ...runs.map((r) => [
        clip(r.clip),
        String(r.segments),
        mb(r.idle.mean),
        mb(r.busy.peak),
        (r.busy.peak / r.idle.mean).toFixed(2),
        mb(r.highWaterMark),
        mb(r.busy.treePeak),
        mb(r.light.peak),
        s(r.wallSeconds),
      ]),
    ]),
    '',
    `  worst transcode worker peak ${mb(worst)}   goal <= ${GOALS.peakRssMb} MB: ${verdict(worst <= GOALS.peakRssMb * 1e6)}`,
    `  largest/smallest file's peak ${flat.toFixed(2)} (flat: ~1.0)`,
  ];
}

function parallel(r: ParallelResult): string[] {
  const row = (x: ParallelResult['one']) => [
    `${x.transcodeWorkers} transcode worker(s)`,
    String(x.segments),
    x.segmentsPerWorker.join('+'),
    s(x.segmentsSeconds),
    s(x.wallSeconds),
    s(x.transcodeCpuSeconds),
    s(x.lightCpuSeconds),
  ];
  return [
    '',
    `Parallel speed-up: ${clip(r.clip)} (fresh copy per run), segments of ~${r.segmentSeconds} s, WORKER_MAX_CONCURRENT_TRANSCODES=1 each`,
    '',
    table([['run', 'segments', 'per worker', 'segment phase', 'upload wall', 'transcode CPU', 'light CPU'], row(r.one), row(r.two)]),
    '',
    `  speed-up one/two: segment phase ${r.segmentsSpeedup.toFixed(2)}x, whole upload ${r.wallSpeedup.toFixed(2)}x (ideal 2x with a core per worker)`,
  ];
}

/** The summary on stdout, then one JSON line for scripts. */
export function printReport(r: Report): void {
  const out: string[] = ['', 'Intake video benchmark', ''];
  out.push(`  machine   ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memGiB.toFixed(1)} GiB RAM, node ${process.version}`);
  out.push(`            load average at start ${load(r.machine.loadAtStart)}, at end ${load(r.machine.loadAtEnd ?? [])}`);
  if (r.overhead) out.push(...overhead(r.overhead));
  if (r.crash) out.push(...crash(r.crash));
  if (r.parallel) out.push(...parallel(r.parallel));
  if (r.memory) out.push(...memory(r.memory));
  for (const [part, error] of Object.entries(r.failures)) out.push('', `${part} FAILED: ${error}`);
  process.stdout.write(out.join('\n') + '\n\n');
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}
