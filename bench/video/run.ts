/**
 * Video benchmark: segmented transcoding through the real platform (API, Temporal, worker
 * processes, ffmpeg), each figure against a baseline from the same run.
 * Run with `bash scripts/bench.sh video [--only overhead,crash,memory,parallel]`; see bench/README.md.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { type Clip, makeTestClip, taggedCopy } from './clips';
import { measureCrash } from './crash';
import { measureMemory } from './memory';
import { measureOverhead } from './overhead';
import { measureParallel } from './parallel';
import { VideoPlatform } from './processes';
import { printReport, Report } from './report';
import { VideoUploader } from './uploads';
import { machineInfo, step } from '../console';

const PARTS = ['overhead', 'crash', 'memory', 'parallel'] as const;
type Part = (typeof PARTS)[number];

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      resolution: { type: 'string' },
      'overhead-seconds': { type: 'string' },
      'overhead-runs': { type: 'string' },
      'crash-seconds': { type: 'string' },
      'segment-seconds': { type: 'string' },
      'memory-sizes': { type: 'string' },
      'parallel-seconds': { type: 'string' },
    },
  });
  const num = (raw: string | undefined, fallback: number, name: string, min: number) => {
    const v = Number(raw ?? fallback);
    if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number >= ${min}, got ${raw}`);
    return v;
  };
  const only = (values.only ?? PARTS.join(',')).split(',').map((p) => p.trim());
  for (const p of only) if (!PARTS.includes(p as Part)) throw new Error(`--only takes ${PARTS.join(',')}; got ${p}`);
  const resolution = /^(\d+)x(\d+)$/.exec(values.resolution ?? '1920x1080');
  if (!resolution) throw new Error(`--resolution must be WIDTHxHEIGHT, got ${values.resolution}`);
  const sizes = (values['memory-sizes'] ?? '250,500').split(',').map((s) => num(s, 0, '--memory-sizes', 1));
  return {
    parts: new Set(only as Part[]),
    width: Number(resolution[1]),
    height: Number(resolution[2]),
    overheadSeconds: num(values['overhead-seconds'], 20, '--overhead-seconds', 1),
    overheadRuns: num(values['overhead-runs'], 3, '--overhead-runs', 1),
    crashSeconds: num(values['crash-seconds'], 40, '--crash-seconds', 4),
    // The app's default (VIDEO_SEGMENT_SECONDS); the crash needs at least two segments.
    segmentSeconds: num(values['segment-seconds'], 10, '--segment-seconds', 2),
    memorySizesMb: sizes,
    parallelSeconds: num(values['parallel-seconds'], 60, '--parallel-seconds', 4),
  };
}

async function main() {
  const opts = options();
  const config = loadConfig();
  if (!config.ADMIN_TOKEN) throw new Error('ADMIN_TOKEN must be set: the bench creates its tenant through the admin API');
  if (opts.crashSeconds < 2 * opts.segmentSeconds) throw new Error('--crash-seconds must be at least twice --segment-seconds: the crash needs two segments');
  const machine = machineInfo();
  // Videos are removed at the end; the processes' logs stay for reading.
  const dir = mkdtempSync(join(tmpdir(), 'intake-bench-video-'));
  const logDir = mkdtempSync(join(tmpdir(), 'intake-bench-video-logs-'));
  const platform = new VideoPlatform(process.env, logDir);
  step(`videos in ${dir}, logs in ${logDir}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await platform.stopAll();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown().finally(() => process.exit(130)));
  }

  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  let uploader: VideoUploader | undefined;
  const report: Report = { machine, settings: { ...opts, parts: [...opts.parts] }, failures: {} };
  try {
    step('starting the API');
    const apiUrl = await platform.startApi();
    uploader = await VideoUploader.register(apiUrl, config.ADMIN_TOKEN, temporal);
    const { width, height } = opts;
    const longest = Math.max(opts.parts.has('overhead') ? opts.overheadSeconds : 0, opts.parts.has('crash') ? opts.crashSeconds : 0, opts.parts.has('parallel') ? opts.parallelSeconds : 0);
    const source = longest > 0 ? (step(`making a ${longest} s ${width}x${height} test clip`), await makeTestClip(join(dir, 'source.mp4'), width, height, longest)) : null;
    const cut = (name: string, seconds: number) => taggedCopy(source!.path, join(dir, `${name}.mp4`), `${name} ${Date.now()}`, seconds);

    // A part that fails is reported and the others still run; each part's figures go to stderr as
    // soon as they exist, so a long run never loses them.
    const part = async <K extends Part>(name: K, measure: () => Promise<NonNullable<Report[K]>>) => {
      if (!opts.parts.has(name)) return;
      try {
        report[name] = await measure();
        step(`${name}: ${JSON.stringify(report[name])}`);
      } catch (err) {
        report.failures[name] = err instanceof Error ? err.message : String(err);
        step(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
    };
    await part('overhead', async () =>
      measureOverhead({ config, platform, uploader: uploader!, clip: await cut('overhead', opts.overheadSeconds), dir: join(dir, 'overhead'), runs: opts.overheadRuns, step }),
    );
    await part('crash', async () =>
      measureCrash({ platform, uploader: uploader!, temporal, clip: await cut('crash', opts.crashSeconds), segmentSeconds: opts.segmentSeconds, step }),
    );
    await part('parallel', async () => {
      const copies: [Clip, Clip] = [await cut('parallel-1', opts.parallelSeconds), await cut('parallel-2', opts.parallelSeconds)];
      return measureParallel({ platform, uploader: uploader!, copies, segmentSeconds: opts.segmentSeconds, step });
    });
    await part('memory', () => measureMemory({ platform, uploader: uploader!, sizesMb: opts.memorySizesMb, segmentSeconds: opts.segmentSeconds, dir, step }));
    report.machine.loadAtEnd = loadavg();
    printReport(report);
    if (Object.keys(report.failures).length) process.exitCode = 1;
  } finally {
    step('stopping the API and workers');
    await shutdown();
    await uploader?.close();
    await connection.close();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

// Exits once done: a part that failed may leave a poll (`eventually`) or a timer behind it.
main().then(
  () => process.exit(),
  (err) => {
    process.stderr.write(`video bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
