import { median } from '../pipeline/report';
import type { DeadMode } from './consumer';
import type { AttemptTiming, EndpointLog } from './delivery-log';
import type { CpuSnapshot } from './cpu';
import type { DeliverySplit } from './history';
import type { PhaseResult } from './phase';

export interface Report {
  machine: { cores: number; cpu: string; loadAtStart: number[]; loadAtEnd: number[] };
  settings: { concurrency: number; endpoints: number; deadMode: DeadMode; retryScheduleMs: number[]; deliverySlots: number; activitySlots: number; timeoutMs: number };
  rounds: number;
  /** Each round's dead/baseline throughput, to show how much a single round varies. */
  roundRatios: number[];
  baseline: PhaseResult;
  dead: PhaseResult;
  deadLog: EndpointLog;
  timings: { baseline: AttemptTiming; dead: AttemptTiming };
  split: { baseline: DeliverySplit; dead: DeliverySplit };
  /** CPU seconds each process used during each phase's chunks (the drains included). */
  cpu: { baseline: CpuSnapshot; dead: CpuSnapshot };
  /** Connections the resetting listener saw (null when nothing listened). */
  deadConnections: number | null;
  verify: { verified: number; failures: number; firstError: string };
  goal: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')).join('\n');
}

export const rate = (p: PhaseResult) => p.uploads / p.readySeconds;
const duplicates = (p: PhaseResult) => p.perEndpoint.reduce((sum, e) => sum + e.duplicates, 0);
const complete = (p: PhaseResult) => p.perEndpoint.filter((e) => e.delivered === p.events).length;
const schedule = (ms: number[]) => ms.map((d) => (d % 1000 ? `${d}ms` : `${d / 1000}s`)).join(',');

/** The summary on stdout: each phase's figures, the throughput ratio against its goal, one JSON line. */
export function printReport(r: Report): void {
  const { baseline, dead, settings: s } = r;
  const ratio = rate(dead) / rate(baseline);
  const cpuRatio = r.cpu.dead.worker / dead.uploads / (r.cpu.baseline.worker / baseline.uploads);
  const deadHealthy = s.endpoints - 1;
  const out: string[] = [];
  out.push('', 'Intake webhooks benchmark', '');
  out.push(`  machine   ${r.machine.cores} cores (${r.machine.cpu}), node ${process.version}, load at start ${r.machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${r.machine.loadAtEnd.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`  uploads   ${baseline.uploads} small text files per phase, ${s.concurrency} in flight; one stack, ${r.rounds} round(s) alternating the phases (baseline first in odd rounds)`);
  out.push(`  worker    WEBHOOK_RETRY_SCHEDULE=${schedule(s.retryScheduleMs)}, WEBHOOK_TIMEOUT_MS=${s.timeoutMs}, WORKER_MAX_CONCURRENT_DELIVERIES=${s.deliverySlots}, WORKER_MAX_CONCURRENT_ACTIVITIES=${s.activitySlots}`);
  out.push(`  dead      one of ${s.endpoints} endpoints: ${s.deadMode === 'refused' ? 'a closed loopback port (connection refused)' : 'a listener that resets every connection'}`);
  out.push('');
  const row = (name: string, p: PhaseResult, healthy: number) => [
    name,
    `${complete(p)}/${healthy}`,
    String(Math.min(...p.perEndpoint.map((e) => e.delivered))),
    String(duplicates(p)),
    rate(p).toFixed(2),
    p.allDeliveredSeconds.toFixed(1),
    median(p.latenciesMs).toFixed(0),
    percentile(p.latenciesMs, 99).toFixed(0),
  ];
  out.push(
    table([
      ['phase', 'complete endpoints', 'fewest delivered', 'duplicates', 'ready/s', 'all delivered s', 'p50 ms', 'p99 ms'],
      row(`baseline: ${s.endpoints} healthy`, baseline, s.endpoints),
      row(`${deadHealthy} healthy + 1 dead`, dead, deadHealthy),
    ]),
  );
  out.push('');
  out.push(`  events per phase: ${baseline.events}; "complete" = every event, once after de-duplication on webhook-id, at that endpoint`);
  out.push(`  dead phase, delivered per healthy endpoint: ${dead.perEndpoint.map((e) => e.delivered).join(' ')}${dead.drained ? '' : '  (drain timed out)'}`);
  out.push(`  ready/s = uploads / (first create call -> last upload.ready event time), summed over the phase's rounds`);
  out.push(`  latency = payload timestamp (webhook_events.created_at) -> body received; all first deliveries at all healthy endpoints`);
  const t = (x: AttemptTiming) => `wait ${x.waitP50.toFixed(0)}/${x.waitP99.toFixed(0)}, send ${x.sendP50.toFixed(0)}/${x.sendP99.toFixed(0)}`;
  out.push(`  from the delivery log, p50/p99 ms: event created -> attempt began (wait), the POST (send): baseline ${t(r.timings.baseline)}; dead phase ${t(r.timings.dead)}`);
  const h = (x: DeliverySplit) => `to workflow start ${x.toWorkflowStart.toFixed(0)}, first workflow task ${x.toScheduled.toFixed(0)}, dispatch ${x.dispatch.toFixed(0)} (slowest endpoint ${x.dispatchMax.toFixed(0)})`;
  out.push(`  from ${r.split.baseline.events}+${r.split.dead.events} delivery workflows' histories, medians ms: baseline ${h(r.split.baseline)}; dead phase ${h(r.split.dead)}`);
  const c = (x: CpuSnapshot, p: PhaseResult) => `worker ${x.worker.toFixed(1)}, API ${x.api.toFixed(1)}, bench ${x.bench.toFixed(1)} (worker ${((x.worker / p.uploads) * 1000).toFixed(0)} ms per upload)`;
  out.push(`  CPU seconds during the phase (drain included): baseline ${c(r.cpu.baseline, baseline)}; dead phase ${c(r.cpu.dead, dead)}`);
  out.push(`  signatures: ${r.verify.verified} deliveries verified with standardwebhooks, ${r.verify.failures} failed${r.verify.firstError ? ` (first: ${r.verify.firstError})` : ''}`);
  const log = Object.entries(r.deadLog.deliveries).map(([k, v]) => `${v} ${k}`).join(', ');
  const pending = Object.entries(r.deadLog.pendingByAttempts).map(([attempts, count]) => `${count} after ${attempts}`).join(', ');
  const next = pending ? `; pending ones by attempts made: ${pending}` : '';
  const seen = r.deadConnections === null ? '' : `; the listener saw ${r.deadConnections} connections`;
  out.push(`  dead endpoint: deliveries ${log}; ${r.deadLog.attempts} attempts recorded${next}${seen}`);
  out.push('');
  out.push(`  throughput dead/baseline = ${ratio.toFixed(2)}   (goal >= ${r.goal}: ${ratio >= r.goal ? 'meets goal' : 'MISSES goal'}); per round: ${r.roundRatios.map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`  worker CPU per upload dead/baseline = ${cpuRatio.toFixed(2)}   (less sensitive to other load on the machine than the throughput)`);
  out.push('');
  out.push(
    'RESULT ' +
      JSON.stringify({
        cores: r.machine.cores,
        uploads: baseline.uploads,
        concurrency: s.concurrency,
        endpoints: s.endpoints,
        deadMode: s.deadMode,
        throughputRatio: +ratio.toFixed(3),
        rounds: r.rounds,
        roundRatios: r.roundRatios.map((x) => +x.toFixed(3)),
        workerCpuRatio: +cpuRatio.toFixed(3),
        baseline: summary(baseline),
        dead: summary(dead),
        deadEndpoint: r.deadLog,
        attemptTimingsMs: r.timings,
        historySplitMs: r.split,
        cpuSeconds: r.cpu,
        verifyFailures: r.verify.failures,
      }),
  );
  process.stdout.write(out.join('\n') + '\n');
}

function summary(p: PhaseResult) {
  return {
    readyPerSecond: +rate(p).toFixed(3),
    delivered: p.perEndpoint.map((e) => e.delivered),
    duplicates: duplicates(p),
    p50Ms: Math.round(median(p.latenciesMs)),
    p99Ms: Math.round(percentile(p.latenciesMs, 99)),
    drained: p.drained,
  };
}
