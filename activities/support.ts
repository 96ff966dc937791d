import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../src/common/errors';
import type { Upload } from '../src/database/entities/upload.entity';
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
