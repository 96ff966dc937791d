/**
 * Webhooks benchmark: uploads through the real pipeline, every event delivered to N endpoints on
 * loopback, once with all of them healthy (the baseline) and once with one of them down.
 * Run with `bash scripts/bench.sh webhooks [--uploads 500] [--concurrency 8] [--rounds 2]`; see bench/README.md.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { Platform } from '../pipeline/processes';
import { DeadEndpoint, DeadMode, WebhookConsumer } from './consumer';
import { CpuSnapshot, cpuSnapshot, cpuSpent } from './cpu';
import { readDeliveryLog } from './delivery-log';
import { splitDeliveryTime } from './history';
import { mergeChunks, PhaseResult, registerTenant, runPhase } from './phase';
import { printReport, rate } from './report';
import { machineInfo, step } from '../console';

const GOAL_THROUGHPUT = 0.95;
/** Delivery workflows per phase whose histories say where the time before the first attempt went. */
const SPLIT_SAMPLE = 20;

function evenlySpaced<T>(items: T[], count: number): T[] {
  const step = Math.max(1, items.length / count);
  return Array.from({ length: Math.min(count, items.length) }, (_, i) => items[Math.floor(i * step)]!);
}

function options() {
  const { values } = parseArgs({
    options: {
      uploads: { type: 'string' },
      concurrency: { type: 'string' },
      endpoints: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'dead-mode': { type: 'string' },
      'retry-schedule': { type: 'string' },
    },
  });
  const int = (raw: string | undefined, fallback: number, name: string, min = 1) => {
    const v = Number(raw ?? fallback);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${raw}`);
    return v;
  };
  const deadMode = values['dead-mode'] ?? 'refused';
  if (deadMode !== 'refused' && deadMode !== 'reset') throw new Error(`--dead-mode must be refused or reset, got ${deadMode}`);
  return {
    uploads: int(values.uploads ?? process.env.BENCH_N, 500, '--uploads'),
    concurrency: int(values.concurrency ?? process.env.BENCH_CONCURRENCY, 8, '--concurrency'),
    endpoints: int(values.endpoints, 10, '--endpoints', 2),
    rounds: int(values.rounds, 2, '--rounds'),
    warmup: int(values.warmup, 5, '--warmup', 0),
    drainTimeoutMs: int(values['drain-timeout'], 180, '--drain-timeout') * 1000,
    deadMode: deadMode as DeadMode,
    /** The worker's WEBHOOK_RETRY_SCHEDULE; left out: the environment's, else the app's default. */
    retrySchedule: values['retry-schedule'],
  };
}

async function main() {
  const opts = options();
  // The bench's own config is the worker's: the same environment, so the report shows what it used.
  const env = { ...process.env, ...(opts.retrySchedule ? { WEBHOOK_RETRY_SCHEDULE: opts.retrySchedule } : {}) };
  const config = loadConfig(env);
  if (!config.ADMIN_TOKEN) throw new Error('ADMIN_TOKEN must be set: the bench creates its tenants through the admin API');
  if (opts.endpoints > config.WEBHOOK_MAX_ENDPOINTS) throw new Error(`--endpoints ${opts.endpoints} is above WEBHOOK_MAX_ENDPOINTS (${config.WEBHOOK_MAX_ENDPOINTS})`);
  const loadAtStart = loadavg();
  const logDir = mkdtempSync(join(tmpdir(), 'intake-bench-webhooks-'));

  // Two tenants on one stack: the baseline's endpoints all answer; the other's last one is down.
  const healthy = await Promise.all(Array.from({ length: opts.endpoints }, () => new WebhookConsumer().start()));
  const withDead = await Promise.all(Array.from({ length: opts.endpoints - 1 }, () => new WebhookConsumer().start()));
  const dead = await DeadEndpoint.start(opts.deadMode);
  const consumers = [...healthy, ...withDead];

  step(`starting API and worker (logs in ${logDir})`);
  const platform = await Platform.start(env, logDir);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await platform.stop();
    await Promise.all([...consumers.map((c) => c.stop()), dead.stop()]);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown().finally(() => process.exit(130)));
  }

  try {
    const crashed = platform.unexpectedExit();
    crashed.catch(() => undefined); // seen by whichever phase is running; not unhandled in between
    const guarded = <T>(work: Promise<T>) => Promise.race([work, crashed]);

    const baselineTenant = await registerTenant(platform.apiUrl, config.ADMIN_TOKEN, 'webhooks bench: all healthy', healthy);
    const deadTenant = await registerTenant(platform.apiUrl, config.ADMIN_TOKEN, 'webhooks bench: one dead', withDead, dead.url);
    const phase = { n: opts.uploads, concurrency: opts.concurrency, drainTimeoutMs: opts.drainTimeoutMs };

    if (opts.warmup) {
      step(`warm-up: ${opts.warmup} uploads, not timed`);
      await guarded(runPhase({ ...phase, label: 'warm-up', tenant: baselineTenant, n: opts.warmup, quiet: true }));
    }
    // Alternating chunks (baseline, dead, then dead, baseline, ...) so drift over the run (a
    // growing database and history, other load on the machine) falls on both phases alike.
    const chunks = { baseline: [] as PhaseResult[], dead: [] as PhaseResult[] };
    const cpu = { baseline: { api: 0, worker: 0, bench: 0 }, dead: { api: 0, worker: 0, bench: 0 } };
    for (let round = 0; round < opts.rounds; round++) {
      const n = Math.floor(opts.uploads / opts.rounds) + (round < opts.uploads % opts.rounds ? 1 : 0);
      const order = round % 2 === 0 ? (['baseline', 'dead'] as const) : (['dead', 'baseline'] as const);
      for (const which of order) {
        const tenant = which === 'baseline' ? baselineTenant : deadTenant;
        const endpoints = which === 'baseline' ? `${opts.endpoints} healthy endpoints` : `${opts.endpoints - 1} healthy + 1 ${opts.deadMode}`;
        step(`round ${round + 1}/${opts.rounds}, ${which}: ${n} uploads, ${opts.concurrency} in flight, ${endpoints}`);
        const before = cpuSnapshot();
        chunks[which].push(await guarded(runPhase({ ...phase, n, label: which, tenant })));
        const spent = cpuSpent(before, cpuSnapshot());
        for (const k of Object.keys(spent) as Array<keyof CpuSnapshot>) cpu[which][k] += spent[k];
      }
    }
    const merged = { baseline: mergeChunks(chunks.baseline), dead: mergeChunks(chunks.dead) };
    step(`reading ${SPLIT_SAMPLE} delivery workflows' histories per phase`);
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const split = {
      baseline: await splitDeliveryTime(temporal, evenlySpaced(merged.baseline.received, SPLIT_SAMPLE)),
      dead: await splitDeliveryTime(temporal, evenlySpaced(merged.dead.received, SPLIT_SAMPLE)),
    };
    await connection.close();
    const log = await readDeliveryLog(config.DATABASE_URL, deadTenant.deadEndpointId!, [baselineTenant.id, deadTenant.id]);

    const sum = (f: (c: WebhookConsumer) => number) => consumers.reduce((total, c) => total + f(c), 0);
    printReport({
      machine: { ...machineInfo(), loadAtStart, loadAtEnd: loadavg() },
      settings: {
        concurrency: opts.concurrency,
        endpoints: opts.endpoints,
        deadMode: opts.deadMode,
        retryScheduleMs: config.WEBHOOK_RETRY_SCHEDULE,
        deliverySlots: config.WORKER_MAX_CONCURRENT_DELIVERIES,
        activitySlots: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      },
      rounds: opts.rounds,
      roundRatios: chunks.dead.map((d, i) => rate(d) / rate(chunks.baseline[i]!)),
      baseline: merged.baseline,
      dead: merged.dead,
      split,
      cpu,
      deadLog: log.dead,
      timings: { baseline: log.timings[0]!, dead: log.timings[1]! },
      deadConnections: opts.deadMode === 'reset' ? dead.connections : null,
      verify: {
        verified: sum((c) => c.receipts.size + [...c.duplicates.values()].reduce((a, b) => a + b, 0)),
        failures: sum((c) => c.verifyFailures),
        firstError: consumers.find((c) => c.firstVerifyError)?.firstVerifyError ?? '',
      },
      goal: GOAL_THROUGHPUT,
    });
  } finally {
    step('stopping API and worker');
    await shutdown();
  }
}

main().catch((err) => {
  process.stderr.write(`webhooks bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
