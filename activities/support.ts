import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../src/common/errors';
import type { Upload } from '../src/database/entities/upload.entity';
import { objectKeys } from '../src/storage/object-keys';
import type { ActivityDeps } from './deps';
import { CorruptImageError, ImageTooLargeError } from '../src/media/image-processor';

/**
 * An expected outcome about the file itself: typed by its stable code, never retried. The workflow
 * turns it into a `rejected` upload.
 */
export function rejection(code: ErrorCode, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : [] });
}

/** A scratch directory for one activity attempt, removed afterwards whatever happens. */
export async function withWorkspace<T>(workDir: string, upload: Upload, fn: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(workDir, { recursive: true });
  const dir = await mkdtemp(join(workDir, `${upload.id}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Log fields that tie a line to its upload and tenant. */
export function about(upload: Pick<Upload, 'id' | 'tenantId'>): Record<string, string> {
  return { uploadId: upload.id, tenantId: upload.tenantId };
}

export function activityLog() {
  return Context.current().log;
}

/** sharp refusing the input is about the file (too many pixels, broken data), not a transient fault. */
export function rejectUnreadableImage(err: unknown): never {
  if (err instanceof ImageTooLargeError) throw rejection(ErrorCode.IMAGE_TOO_LARGE, err.message);
  if (err instanceof CorruptImageError) throw rejection(ErrorCode.CORRUPT_MEDIA, err.message);
  throw err;
}

export interface RenderedOutput {
  /** Public name (`optimized`, `thumbnail`) and file name under the upload's outputs/ prefix. */
  name: string;
  file: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
}

/** Uploads a rendition to its deterministic key and upserts its row: a retry overwrites both. */
export async function publishOutput(
  { storage, uploads }: Pick<ActivityDeps, 'storage' | 'uploads'>,
  upload: Upload,
  localPath: string,
  output: RenderedOutput,
): Promise<void> {
  const key = objectKeys.output(upload.tenantId, upload.id, output.file);
  await storage.uploadFile(key, localPath, output.contentType);
  await uploads.upsertOutput(upload.id, {
    name: output.name,
    objectKey: key,
    contentType: output.contentType,
    size: output.size,
    width: output.width,
    height: output.height,
  });
}
