/**
 * Scan benchmark: Intake's ingest read (S3 -> SHA-256 + local file + ClamdScanner, as
 * ingestOriginal does it) against a minimal hand-written INSTREAM client, both on the same S3
 * objects streamed from MinIO, in the same run, at the same concurrency.
 * Run with `bash scripts/bench.sh scan [--sizes 10,200] [--runs 5] [--concurrency 2]`; see bench/README.md.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { readOriginal } from '../../src/workspaces/read-original';
import { rawInstream } from './raw-instream';
import { machineInfo, step } from '../console';

const GOAL_RATIO = 0.9;
const MB = 1e6;
const PATHS = ['intake', 'raw'] as const;
type Path = (typeof PATHS)[number];

function options() {
  const { values } = parseArgs({
    options: { sizes: { type: 'string' }, runs: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const int = (raw: string | undefined, fallback: number, name: string) => {
    const v = Number(raw ?? fallback);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
    return v;
  };
  const sizes = (values.sizes ?? process.env.BENCH_SIZES ?? '10,200').split(',').map((s) => int(s.trim(), 0, '--sizes (MB)'));
  return {
    sizesMb: sizes,
    runs: int(values.runs ?? process.env.BENCH_RUNS, 5, '--runs'),
    concurrency: int(values.concurrency ?? process.env.BENCH_CONCURRENCY, 2, '--concurrency'),
  };
}

// Not shared with bench/pipeline: this bench imports nothing from the pipeline's code.
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main() {
  const opts = options();
  const config = loadConfig();
  const s3 = new S3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
  });
  const bucket = config.S3_BUCKET;
  const scanner = new ClamdScanner({ host: config.CLAMD_HOST, port: config.CLAMD_PORT, timeoutMs: config.CLAMD_TIMEOUT_MS });
  const runTag = randomBytes(6).toString('hex');
  const scratch = await mkdtemp(join(tmpdir(), 'intake-bench-scan-'));
  const machine = machineInfo();

  const open = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
  const scanWith: Record<Path, (key: string, size: number) => Promise<void>> = {
    // What ingestOriginal does with the object: one read into a SHA-256, a local file and clamd.
    async intake(key, size) {
      const file = join(scratch, key.replaceAll('/', '_'));
      try {
        const { verdict, bytes } = await readOriginal(await open(key), file, { scanner });
        if (!verdict?.clean || bytes !== size) throw new Error(`intake scan of ${key}: ${JSON.stringify(verdict)}`);
      } finally {
        await rm(file, { force: true });
      }
    },
    async raw(key) {
      const answer = await rawInstream(config.CLAMD_HOST, config.CLAMD_PORT, await open(key));
      if (answer !== 'stream: OK') throw new Error(`raw scan of ${key}: ${answer}`);
    },
  };

  /**
   * One timed round of one path: `concurrency` objects of `base`'s bytes, each with its own first
   * 16 bytes so clamd's cache of clean files (by hash) never answers from memory.
   */
  const round = async (path: Path, base: Buffer, label: string): Promise<number> => {
    const keys = Array.from({ length: opts.concurrency }, (_, i) => `bench-scan/${runTag}/${label}-${path}-${i}`);
    for (const key of keys) {
      const body = Buffer.from(base);
      randomBytes(16).copy(body);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
    const started = performance.now();
    await Promise.all(keys.map((key) => scanWith[path](key, base.length)));
    const seconds = (performance.now() - started) / 1000;
    for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return (keys.length * base.length) / MB / seconds;
  };

  step(`clamd: ${await scanner.version()}`);
  const results: Array<{ sizeMb: number; rates: Record<Path, number[]> }> = [];
  try {
    const warm = randomBytes(MB);
    for (const path of PATHS) await round(path, warm, 'warmup');
    for (const sizeMb of opts.sizesMb) {
      step(`${sizeMb} MB: ${opts.runs} runs of each path, ${opts.concurrency} scans at once`);
      const base = randomBytes(sizeMb * MB); // incompressible, like media
      const rates: Record<Path, number[]> = { intake: [], raw: [] };
      for (let run = 0; run < opts.runs; run++) {
        // Alternate which path goes first, so neither always meets a warmer (or busier) clamd.
        const order = run % 2 === 0 ? PATHS : ([...PATHS].reverse() as Path[]);
        for (const path of order) rates[path].push(await round(path, base, `${sizeMb}mb-${run}`));
        step(`  run ${run + 1}: intake ${rates.intake.at(-1)!.toFixed(1)} MB/s, raw ${rates.raw.at(-1)!.toFixed(1)} MB/s`);
      }
      results.push({ sizeMb, rates });
    }
  } finally {
    s3.destroy();
    await rm(scratch, { recursive: true, force: true });
  }

  const out: string[] = ['', 'Intake scan benchmark', ''];
  out.push(`  machine   ${machine.cores} cores (${machine.cpu}), ${machine.memGiB.toFixed(1)} GiB RAM, node ${process.version}`);
  out.push(`            load average at start ${machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`  each run  ${opts.concurrency} objects scanned at once; median of ${opts.runs} runs`);
  out.push('  intake    S3 GET -> SHA-256 + local file + clamd INSTREAM (ingestOriginal\'s read)');
  out.push('  raw       S3 GET -> clamd INSTREAM, hand-written client', '');
  const rows = [['size', 'intake MB/s', 'raw MB/s', 'intake/raw', 'per-run ratios']];
  const summary = results.map(({ sizeMb, rates }) => {
    const ratio = median(rates.intake) / median(rates.raw);
    const perRun = rates.intake.map((r, i) => r / rates.raw[i]!);
    rows.push([`${sizeMb} MB`, median(rates.intake).toFixed(1), median(rates.raw).toFixed(1), ratio.toFixed(3), perRun.map((x) => x.toFixed(2)).join(' ')]);
    return { sizeMb, intakeMBps: +median(rates.intake).toFixed(2), rawMBps: +median(rates.raw).toFixed(2), ratio: +ratio.toFixed(3) };
  });
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  out.push(...rows.map((r) => '  ' + r.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')));
  const worst = Math.min(...summary.map((s) => s.ratio));
  out.push('', `  lowest intake/raw = ${worst.toFixed(3)}   (goal >= ${GOAL_RATIO}: ${worst >= GOAL_RATIO ? 'meets goal' : 'MISSES goal'})`, '');
  out.push('RESULT ' + JSON.stringify({ cores: machine.cores, runs: opts.runs, concurrency: opts.concurrency, sizes: summary }));
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`scan bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
