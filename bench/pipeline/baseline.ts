import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../../src/config/config';
import type { ImageProcessor } from '../../src/media/image-processor';
import type { MetadataReader } from '../../src/media/metadata-reader';
import type { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { objectKeys } from '../../src/storage/object-keys';
import type { ObjectStorage } from '../../src/storage/object-storage';
import { SNIFF_BYTES, type TypeSniffer } from '../../src/media/type-sniffer';
import { readOriginal } from '../../src/workspaces/read-original';
import { uniqueCopy } from './sample-image';

/** The project's own tools, built from the same config the worker builds them from. */
export interface BareTools {
  config: Pick<AppConfig, 'WORK_DIR' | 'IMAGE_MAX_DIMENSION' | 'THUMBNAIL_SIZE'>;
  storage: ObjectStorage;
  sniffer: TypeSniffer;
  scanner: ClamdScanner;
  metadata: MetadataReader;
  images: ImageProcessor;
}

export const STEPS = ['put source', 'verify', 'read + scan', 'metadata', 'optimized', 'thumbnail', 'put outputs'] as const;
export type Step = (typeof STEPS)[number];

export interface BaselineResult {
  images: number;
  seconds: number;
  /** Total seconds spent in each step over all timed images. */
  steps: Record<Step, number>;
}

// Keys shaped like the platform's, under a tenant id no real tenant has.
const TENANT = 'bench-baseline';

/** One image through the pipeline's steps, no API, workflow, database or worker in between. */
async function processOnce(tools: BareTools, jpeg: Buffer, steps: Record<Step, number>): Promise<void> {
  const { config, storage, scanner, metadata, images } = tools;
  const id = randomUUID();
  const timed = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      steps[step] += (performance.now() - started) / 1000;
    }
  };
  const dir = await mkdtemp(join(config.WORK_DIR, `bench-${id}-`));
  try {
    const incoming = objectKeys.incoming(TENANT, id);
    const original = objectKeys.original(TENANT, id);
    const source = join(dir, 'source');
    const optimized = join(dir, 'optimized.webp');
    const thumbnail = join(dir, 'thumbnail.webp');
    await timed('put source', () => storage.putBuffer(incoming, jpeg, 'image/jpeg'));
    // What verify does: HEAD, copy to the original (pinned by the ETag), sniff the copy's first
    // bytes, drop the incoming object.
    await timed('verify', async () => {
      const head = await storage.head(incoming);
      await storage.copy(incoming, original, head!.etag);
      await tools.sniffer.sniff(await storage.readHead(original, SNIFF_BYTES));
      await storage.delete(incoming);
    });
    // What ingest does: one read of the original into a hash, a local file and clamd.
    const read = await timed('read + scan', async () =>
      readOriginal(await storage.openStream(original), source, { scanner }),
    );
    if (!read.verdict?.clean) throw new Error('clamd did not pass the sample image');
    await timed('metadata', () => metadata.readImage(source, 'image/jpeg'));
    const type = 'image/jpeg';
    await timed('optimized', () => images.renderWebp(source, optimized, { type, maxDimension: config.IMAGE_MAX_DIMENSION }));
    await timed('thumbnail', () =>
      images.renderWebp(source, thumbnail, { type, maxDimension: config.THUMBNAIL_SIZE, quality: 75 }),
    );
    await timed('put outputs', async () => {
      await storage.uploadFile(objectKeys.output(TENANT, id, 'optimized.webp'), optimized, 'image/webp');
      await storage.uploadFile(objectKeys.output(TENANT, id, 'thumbnail.webp'), thumbnail, 'image/webp');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * In this process, `concurrency` images at a time (the platform's in-flight count, so the ratio
 * compares equal parallelism): `warmup` untimed images, then `n` timed ones.
 */
export async function runBaseline(
  tools: BareTools,
  jpeg: Buffer,
  opts: { n: number; warmup: number; concurrency: number; runTag: string },
): Promise<BaselineResult> {
  const { n, warmup, concurrency, runTag } = opts;
  await mkdir(tools.config.WORK_DIR, { recursive: true });
  const steps = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  const discarded = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  await inParallel(warmup, concurrency, (i) => processOnce(tools, uniqueCopy(jpeg, `${runTag} baseline warmup ${i}`), discarded));
  const started = performance.now();
  let done = 0;
  await inParallel(n, concurrency, async (i) => {
    await processOnce(tools, uniqueCopy(jpeg, `${runTag} baseline ${i}`), steps);
    progress('baseline', ++done, n, started);
  });
  return { images: n, seconds: (performance.now() - started) / 1000, steps };
}

/** Runs work(0..count-1) with at most `limit` in flight. */
async function inParallel(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

/** A progress line every 10% on stderr, so stdout stays the report. */
export function progress(phase: string, done: number, total: number, started: number): void {
  const every = Math.max(1, Math.round(total / 10));
  if (done % every !== 0 && done !== total) return;
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`  ${phase}: ${done}/${total} in ${seconds.toFixed(1)}s\n`);
}
