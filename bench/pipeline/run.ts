/**
 * Pipeline benchmark: N photos through the whole platform (API, Temporal, worker) against the same
 * steps in a bare in-process loop, plus the workflow's own overhead for one image alone.
 * Run with `bash scripts/bench.sh pipeline [--n 200] [--concurrency 4]`; see bench/README.md.
 * With --observability it compares the platform with tracing and metrics on and off instead.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { ImageProcessor } from '../../src/media/image-processor';
import { MetadataReader } from '../../src/media/metadata-reader';
import { TypeSniffer } from '../../src/media/type-sniffer';
import { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { ObjectStorage } from '../../src/storage/object-storage';
import { BareTools, runBaseline } from './baseline';
import { measureUploads, runOverhead } from './overhead';
import { IntakeApi, WebhookCounter } from './platform-client';
import { Platform } from './processes';
import { renderSampleImage } from './sample-image';
import { runPlatform } from './throughput';
import { printReport } from './report';
import { compareObservability, printObservabilityReport } from './observability';
import { machineInfo, step } from '../console';

const WARMUP = 3;
const GOAL_THROUGHPUT = 0.85;
const GOAL_OVERHEAD = 1.3;
const GOAL_OBSERVABILITY = 0.97;

function options() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      concurrency: { type: 'string' },
      'overhead-runs': { type: 'string' },
      observability: { type: 'boolean' },
      rounds: { type: 'string' },
    },
  });
  const int = (raw: string | undefined, fallback: number, name: string) => {
    const v = Number(raw ?? fallback);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
    return v;
  };
  return {
    n: int(values.n ?? process.env.BENCH_N, 200, '--n'),
    concurrency: int(values.concurrency ?? process.env.BENCH_CONCURRENCY, 4, '--concurrency'),
    overheadRuns: int(values['overhead-runs'], 5, '--overhead-runs'),
    observability: values.observability ?? false,
    rounds: int(values.rounds, 2, '--rounds'),
  };
}

async function main() {
  const opts = options();
  const config = loadConfig();
  if (!config.ADMIN_TOKEN) throw new Error('ADMIN_TOKEN must be set: the bench creates its tenant through the admin API');
  const runTag = `intake-bench ${randomBytes(6).toString('hex')}`;
  const logDir = mkdtempSync(join(tmpdir(), 'intake-bench-'));
  const machine = machineInfo();

  step('rendering sample images');
  const photo = await renderSampleImage(4000, 3000);
  const small = await renderSampleImage(1600, 1200);

  if (opts.observability) {
    // Only the on/off comparison: the 2 MP image, whose short pipeline shows a per-upload cost most.
    step(`observability on vs off: ${opts.rounds} rounds (logs in ${logDir})`);
    const results = await compareObservability({
      adminToken: config.ADMIN_TOKEN, jpeg: small.jpeg, n: opts.n, concurrency: opts.concurrency,
      rounds: opts.rounds, warmup: WARMUP, logDir, runTag,
    });
    printObservabilityReport(results, GOAL_OBSERVABILITY, { machine, image: `${small.width}x${small.height}`, concurrency: opts.concurrency });
    return;
  }

  const tools: BareTools = {
    config,
    storage: new ObjectStorage(config),
    sniffer: new TypeSniffer(),
    scanner: new ClamdScanner({ host: config.CLAMD_HOST, port: config.CLAMD_PORT, timeoutMs: config.CLAMD_TIMEOUT_MS }),
    metadata: new MetadataReader({
      exiftoolPath: config.EXIFTOOL_PATH,
      ffprobePath: config.FFPROBE_PATH,
      maxInputPixels: config.MAX_IMAGE_PIXELS,
    }),
    images: new ImageProcessor({ maxInputPixels: config.MAX_IMAGE_PIXELS }),
  };
  const webhooks = await new WebhookCounter().start();
  step(`starting API and worker (logs in ${logDir})`);
  const platform = await Platform.start(process.env, logDir);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await platform.stop();
    await webhooks.stop();
    await connection.close();
    await tools.metadata.close();
    tools.storage.destroy();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown().finally(() => process.exit(130)));
  }

  try {
    const crashed = platform.unexpectedExit();
    crashed.catch(() => undefined); // seen by whichever phase is running; not unhandled in between
    const guarded = <T>(work: Promise<T>) => Promise.race([work, crashed]);

    step(`baseline: ${WARMUP} warm-up + ${opts.n} images, ${opts.concurrency} at a time, in this process`);
    const baseline = await guarded(
      runBaseline(tools, photo.jpeg, { n: opts.n, warmup: WARMUP, concurrency: opts.concurrency, runTag }),
    );

    const api = new IntakeApi(platform.apiUrl);
    const { apiKey } = await api.createTenant(config.ADMIN_TOKEN, 'pipeline bench', webhooks.url);
    const run = { api, apiKey, webhooks, jpeg: photo.jpeg, concurrency: opts.concurrency };
    step(`platform: ${WARMUP} warm-up + ${opts.n} images, ${opts.concurrency} in flight`);
    await guarded(runPlatform({ ...run, n: WARMUP, label: `${runTag} platform warmup`, quiet: true }));
    const platformResult = await guarded(runPlatform({ ...run, n: opts.n, label: `${runTag} platform` }));

    step('reading the throughput run\'s workflow histories');
    const underLoad = await guarded(measureUploads(temporal, platformResult.uploadIds));

    step(`overhead: ${opts.overheadRuns} runs of one ${small.width}x${small.height} image alone`);
    const overhead = await guarded(
      runOverhead({ api, apiKey, webhooks, temporal, jpeg: small.jpeg, runs: opts.overheadRuns, label: `${runTag} overhead` }),
    );

    printReport({
      machine,
      photo: { width: photo.width, height: photo.height, bytes: photo.jpeg.length },
      small: { width: small.width, height: small.height, bytes: small.jpeg.length },
      workerActivities: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      concurrency: opts.concurrency,
      baseline,
      platform: platformResult,
      overhead,
      underLoad,
      webhooks: { deliveries: webhooks.deliveries, duplicates: webhooks.duplicates },
      goals: { throughput: GOAL_THROUGHPUT, overhead: GOAL_OVERHEAD },
    });
  } finally {
    step('stopping API and worker');
    await shutdown();
  }
}

main().catch((err) => {
  process.stderr.write(`pipeline bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
