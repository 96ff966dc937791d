import type { BaselineResult } from './baseline';
import { STEPS } from './baseline';
import type { OverheadSample } from './overhead';
import type { PlatformResult } from './throughput';

export interface Report {
  machine: { cores: number; cpu: string; memGiB: number; loadAtStart: number[] };
  photo: { width: number; height: number; bytes: number };
  small: { width: number; height: number; bytes: number };
  workerActivities: number;
  concurrency: number;
  baseline: BaselineResult;
  platform: PlatformResult;
  overhead: OverheadSample[];
  /** The throughput run's uploads, measured from their histories. */
  underLoad: OverheadSample[];
  webhooks: { deliveries: number; duplicates: number };
  goals: { throughput: number; overhead: number };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')).join('\n');
}

/** The summary on stdout: raw figures, then the two ratios against their goals, then one JSON line. */
export function printReport(r: Report): void {
  const baseRate = r.baseline.images / r.baseline.seconds;
  const platRate = r.platform.images / r.platform.seconds;
  const throughputRatio = platRate / baseRate;
  const ratios = r.overhead.map((s) => s.wallMs / s.activityMs);
  const overheadRatio = median(ratios);
  const out: string[] = [];

  out.push('', 'Intake pipeline benchmark', '');
  out.push(`  machine   ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memGiB.toFixed(1)} GiB RAM, node ${process.version}`);
  out.push(`            load average at start ${r.machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`  images    ${r.photo.width}x${r.photo.height} JPEG, ${mb(r.photo.bytes)}; overhead image ${r.small.width}x${r.small.height}, ${mb(r.small.bytes)}`);
  out.push(`  platform  ${r.concurrency} uploads in flight; worker WORKER_MAX_CONCURRENT_ACTIVITIES=${r.workerActivities}`);

  out.push('', 'Throughput', '');
  out.push(
    table([
      ['path', 'images', 'seconds', 'images/s'],
      [`baseline: bare loop, ${r.concurrency} at a time, in-process`, String(r.baseline.images), r.baseline.seconds.toFixed(1), baseRate.toFixed(3)],
      ['platform: API + Temporal + worker', String(r.platform.images), r.platform.seconds.toFixed(1), platRate.toFixed(3)],
    ]),
  );
  out.push('', `  platform/baseline = ${throughputRatio.toFixed(2)}   (goal >= ${r.goals.throughput}: ${verdict(throughputRatio >= r.goals.throughput)})`);
  const lat = r.platform.latencies;
  out.push(`  platform latency, complete -> upload.ready webhook: median ${median(lat).toFixed(2)}s, p95 ${percentile(lat, 95).toFixed(2)}s`);
  out.push(`  webhooks received: ${r.webhooks.deliveries} (plus ${r.webhooks.duplicates} redeliveries)`);
  out.push('', '  baseline time per image, by step (ms):');
  out.push(table([[...STEPS], STEPS.map((s) => ((r.baseline.steps[s] / r.baseline.images) * 1000).toFixed(0))]));

  out.push('', `Workflow overhead: one ${r.small.width}x${r.small.height} image alone, ${r.overhead.length} runs`, '');
  out.push(
    table([
      ['run', 'wall ms', 'activities ms', 'gaps ms', 'activity dispatch', 'workflow tasks', 'wall/activities'],
      ...r.overhead.map((s, i) => [
        String(i + 1),
        s.wallMs.toFixed(0),
        s.activityMs.toFixed(0),
        (s.wallMs - s.activityMs).toFixed(0),
        s.activityQueueMs.toFixed(0),
        s.workflowTaskMs.toFixed(0),
        (s.wallMs / s.activityMs).toFixed(2),
      ]),
    ]),
  );
  out.push('', `  median wall/activities = ${overheadRatio.toFixed(2)}   (goal <= ${r.goals.overhead}: ${verdict(overheadRatio <= r.goals.overhead)})`);
  out.push('  gaps = wall - activities, and they are made of: activity dispatch (each activity scheduled -> started)');
  out.push('  and workflow tasks (each workflow task scheduled -> completed, i.e. deciding the next step)');
  const names = Object.keys(r.overhead[0]?.activities ?? {});
  out.push('  median per activity (ms): ' + names.map((n) => `${n} ${median(r.overhead.map((s) => s.activities[n] ?? 0)).toFixed(0)}`).join(', '));

  // The same split for the throughput run's uploads, where they compete for the machine.
  const loaded = r.underLoad;
  if (loaded.length) {
    const m = (f: (s: OverheadSample) => number) => median(loaded.map(f)).toFixed(0);
    out.push('', `Under load (the platform run's ${loaded.length} uploads, medians in ms)`, '');
    out.push(`  wall ${m((s) => s.wallMs)}, activities ${m((s) => s.activityMs)}, activity dispatch ${m((s) => s.activityQueueMs)}, workflow tasks ${m((s) => s.workflowTaskMs)}`);
    const loadedNames = Object.keys(loaded[0]?.activities ?? {});
    out.push('  per activity: ' + loadedNames.map((n) => `${n} ${m((s) => s.activities[n] ?? 0)}`).join(', '));
  }

  out.push('');
  out.push(
    'RESULT ' +
      JSON.stringify({
        cores: r.machine.cores,
        n: r.baseline.images,
        concurrency: r.concurrency,
        baselineImagesPerSecond: +baseRate.toFixed(4),
        platformImagesPerSecond: +platRate.toFixed(4),
        throughputRatio: +throughputRatio.toFixed(3),
        overheadMedianRatio: +overheadRatio.toFixed(3),
        overheadRatios: ratios.map((x) => +x.toFixed(3)),
      }),
  );
  process.stdout.write(out.join('\n') + '\n');
}
