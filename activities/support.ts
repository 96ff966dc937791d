import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { existsSync } from 'node:fs';
import { ErrorCode } from '../src/common/errors';
import { type Upload, buildingGeneration } from '../src/database/entities/upload.entity';
import { objectKeys } from '../src/storage/object-keys';
import { WORKSPACE_LOST } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { MediaRejection, mediaRejectionCode } from '../src/media/media-errors';
import { withMediaError } from '../src/observability/metrics/media-failures';
import { WorkspaceLostError, WorkspaceSession, WorkspaceSessions } from '../src/workspaces/workspace-sessions';

/**
 * An expected outcome about the file itself: typed by its stable code, never retried. The workflow
 * turns it into a `rejected` upload.
 */
export function rejection(code: ErrorCode, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : [] });
}

/** Log fields that tie a line to its upload and tenant. */
export function about(upload: Pick<Upload, 'id' | 'tenantId'>): Record<string, string> {
  return { uploadId: upload.id, tenantId: upload.tenantId };
}

export function activityLog() {
  return Context.current().log;
}

/**
 * A decoder refusing the input is about the file (too many pixels, broken data), not a transient
 * fault: rethrown as a rejection. Anything else (a missing tool, a killed process) is rethrown as is
 * and retried.
 */
export function rejectUnreadableMedia(err: unknown): never {
  throw asMediaRejection(err) ?? err;
}

/**
 * The rejection a media tool's refusal stands for, if it is about the file (wrong type, too many
 * pixels, over a video limit, broken data). Its message is from the catalogue; the tool's own
 * output (paths, banners) goes to the log only.
 */
export function asMediaRejection(err: unknown): ApplicationFailure | undefined {
  const code = mediaRejectionCode(err);
  if (!code) return undefined;
  const { message, detail } = err as MediaRejection;
  if (detail) activityLog().info('media tool refused the file', { code, detail });
  return withMediaError(rejection(code, message), err);
}

const HEARTBEAT_MS = 5_000;

/** Input of a step on the local copy; the workflow marks the upload's last one to free the copy. */
export interface LocalStepInput {
  uploadId: string;
  releaseAfter?: boolean;
}

/**
 * Runs a step on this worker's local copy of the upload, heartbeating meanwhile so a dead worker is
 * noticed within the heartbeat timeout. No copy here means this worker is not the one holding the
 * upload any more: a non-retryable WORKSPACE_LOST, upon which the workflow starts over elsewhere.
 */
export async function withLocalCopy<T>(
  sessions: WorkspaceSessions,
  { uploadId, releaseAfter }: LocalStepInput,
  fn: (session: WorkspaceSession) => Promise<T>,
  heartbeatDetails: () => unknown = () => undefined,
): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(heartbeatDetails()), HEARTBEAT_MS);
  try {
    let used: WorkspaceSession | undefined;
    const result = await sessions.use(uploadId, async (session) => {
      used = session;
      // The directory can be gone (reaped, or the worker's disk was cleaned): never hand a tool a
      // missing file, which it would report as an unreadable one.
      if (!existsSync(session.sourcePath)) throw new WorkspaceLostError(uploadId);
      return fn(session);
    });
    if (releaseAfter) await sessions.close(uploadId, used);
    return result;
  } catch (err) {
    if (err instanceof WorkspaceLostError) {
      throw ApplicationFailure.nonRetryable(`no local copy of upload ${uploadId} on this worker`, WORKSPACE_LOST);
    }
    throw err;
  } finally {
    clearInterval(beat);
  }
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

/**
 * An object key of this attempt's own: the generation (a new one per run, see reruns) and the
 * activity's id and attempt, so no run or attempt ever writes over another's object.
 */
function attemptKey(upload: Pick<Upload, 'generation' | 'nextGeneration'>, file: string): string {
  const { activityId, attempt } = Context.current().info;
  return `g${buildingGeneration(upload)}/${activityId}.${attempt}/${file}`;
}

/**
 * Uploads a rendition under a key of its own attempt, then points the upload's output row (of the
 * generation this run builds, read when the step started) at it. The row write is fenced: an
 * attempt that outlived the upload or its run writes no row and removes its own object, so it
 * never changes what a finished upload serves. A retry that replaces an earlier attempt's
 * rendition removes the one it replaced.
 */
export async function publishOutput(
  { storage, uploads }: Pick<ActivityDeps, 'storage' | 'uploads'>,
  upload: Upload,
  localPath: string,
  output: RenderedOutput,
): Promise<void> {
  const key = objectKeys.output(upload.tenantId, upload.id, attemptKey(upload, output.file));
  await storage.uploadFile(key, localPath, output.contentType);
  const { written, replacedKey } = await uploads.upsertOutput(upload.id, {
    generation: buildingGeneration(upload),
    name: output.name,
    objectKey: key,
    contentType: output.contentType,
    size: output.size,
    width: output.width,
    height: output.height,
  });
  if (!written) {
    await storage.delete(key);
    throw uploadEnded(upload.id);
  }
  if (replacedKey && replacedKey !== key) await storage.delete(replacedKey);
}

/** A step's write was fenced off: its upload ended, or a later run took it over. */
export function uploadEnded(uploadId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`upload ${uploadId} already ended or was taken over by a later run`, 'UPLOAD_ENDED');
}
