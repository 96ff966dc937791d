import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../../src/config/config';
import type { ImageProcessor } from '../../src/media/image-processor';
import type { MetadataReader } from '../../src/media/metadata-reader';
import type { ClamdScanner } from '../../src/scanning/clamd-scanner';
import { objectKeys } from '../../src/storage/object-keys';
import type { ObjectStorage } from '../../src/storage/object-storage';
import { uniqueCopy } from './sample-image';

/** The project's own tools, built from the same config the worker builds them from. */
export interface BareTools {
  config: Pick<AppConfig, 'WORK_DIR' | 'IMAGE_MAX_DIMENSION' | 'THUMBNAIL_SIZE'>;
  storage: ObjectStorage;
  scanner: ClamdScanner;
  metadata: MetadataReader;
  images: ImageProcessor;
}

export const STEPS = ['put source', 'get source', 'scan', 'metadata', 'optimized', 'thumbnail', 'put outputs'] as const;
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
    const sourceKey = objectKeys.source(TENANT, id);
    const source = join(dir, 'source');
    const optimized = join(dir, 'optimized.webp');
    const thumbnail = join(dir, 'thumbnail.webp');
    await timed('put source', () => storage.putBuffer(sourceKey, jpeg, 'image/jpeg'));
    await timed('get source', () => storage.download(sourceKey, source));
    const verdict = await timed('scan', () => scanner.scan(createReadStream(source)));
    if (!verdict.clean) throw new Error(`clamd flagged the sample image: ${verdict.signatures.join(', ')}`);
    await timed('metadata', () => metadata.readImage(source));
    await timed('optimized', () => images.renderWebp(source, optimized, config.IMAGE_MAX_DIMENSION));
    await timed('thumbnail', () => images.renderWebp(source, thumbnail, config.THUMBNAIL_SIZE, 75));
    await timed('put outputs', async () => {
      await storage.uploadFile(objectKeys.output(TENANT, id, 'optimized.webp'), optimized, 'image/webp');
      await storage.uploadFile(objectKeys.output(TENANT, id, 'thumbnail.webp'), thumbnail, 'image/webp');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sequential, in this process: `warmup` untimed images, then `n` timed ones. */
export async function runBaseline(tools: BareTools, jpeg: Buffer, n: number, warmup: number, runTag: string): Promise<BaselineResult> {
  await mkdir(tools.config.WORK_DIR, { recursive: true });
  const steps = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  const discarded = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  for (let i = 0; i < warmup; i++) await processOnce(tools, uniqueCopy(jpeg, `${runTag} baseline warmup ${i}`), discarded);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    await processOnce(tools, uniqueCopy(jpeg, `${runTag} baseline ${i}`), steps);
    progress('baseline', i + 1, n, started);
  }
  return { images: n, seconds: (performance.now() - started) / 1000, steps };
}

/** A progress line every 10% on stderr, so stdout stays the report. */
export function progress(phase: string, done: number, total: number, started: number): void {
  const every = Math.max(1, Math.round(total / 10));
  if (done % every !== 0 && done !== total) return;
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`  ${phase}: ${done}/${total} in ${seconds.toFixed(1)}s\n`);
}
