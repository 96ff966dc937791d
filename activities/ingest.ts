import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode } from '../src/common/errors';
import { objectKeys } from '../src/storage/object-keys';
import { readOriginal } from '../src/workspaces/read-original';
import type { WorkspaceRole } from '../src/workspaces/workspace-sessions';
import { TASK_QUEUES } from '../workflows/contract';
import type { ScanVerdict } from '../src/observability/metrics/worker-metrics';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejection } from './support';

export interface IngestResult {
  /** This worker's own task queue: the upload's later steps run there, on the local copy. */
  taskQueue: string;
  sha256: string;
}

/** The original no longer has the bytes that were scanned: storage broke a promise, not the file. */
export const ORIGINAL_CHANGED = 'ORIGINAL_CHANGED';

const HEARTBEAT_MS = 2_000;

/**
 * What a clamd finding means for the upload. Only real signatures are INFECTED; a file clamd could
 * not look into (over a limit, encrypted) is refused as unscannable, never passed.
 */
export function rejectionForFinding(signature: string): ErrorCode {
  if (/^Heuristics\.Limits\.Exceeded/.test(signature)) return ErrorCode.SCAN_LIMIT_EXCEEDED;
  if (/^Heuristics\.Encrypted/.test(signature)) return ErrorCode.ENCRYPTED_CONTENT;
  return ErrorCode.INFECTED;
}

/** The scan verdict label for each finding's rejection (see rejectionForFinding). */
const VERDICTS: Partial<Record<ErrorCode, ScanVerdict>> = {
  [ErrorCode.SCAN_LIMIT_EXCEEDED]: 'limit',
  [ErrorCode.ENCRYPTED_CONTENT]: 'encrypted',
};

function roleOf(taskQueue: string): WorkspaceRole {
  if (taskQueue === TASK_QUEUES.transcode) return 'transcode';
  return taskQueue === TASK_QUEUES.backfill ? 'backfill' : 'uploads';
}

/**
 * Step 2: the one read of the original. A worker opens a workspace session for the upload and
 * streams the original once: into a SHA-256, a local file, and (the first time) clamd, all from the
 * same bytes. Only clamd's explicit OK for exactly `size` bytes makes it clean; an infected file is
 * moved to quarantine. The later steps run on this worker's own queue from the local file.
 *
 * If this worker dies later, the workflow calls this again on the shared queue: another worker
 * downloads the immutable original and checks it against the recorded hash, and need not scan again.
 */
export function ingestActivities({ uploads, storage, scanner, sessions, config, metrics }: ActivityDeps) {
  return {
    /**
     * `keepLocalCopy: false` (no steps follow, e.g. a document): the copy is freed right away.
     * `rescan` (a reprocess): scanned again with today's signatures although it was scanned before.
     */
    async ingestOriginal({
      uploadId,
      keepLocalCopy = true,
      rescan = false,
    }: {
      uploadId: string;
      keepLocalCopy?: boolean;
      rescan?: boolean;
    }): Promise<IngestResult> {
      const ctx = Context.current();
      const upload = await uploads.get(uploadId);
      if (!upload.kind || !upload.sourceEtag) {
        throw ApplicationFailure.nonRetryable(`upload ${uploadId} was not verified`, 'NOT_VERIFIED');
      }
      // verify recorded the size of every upload it passed (declared, or measured when none was).
      const size = upload.size ?? upload.maxSize;
      if (size > config.SCAN_MAX_BYTES) {
        metrics?.scanned('limit');
        throw rejection(
          ErrorCode.SCAN_LIMIT_EXCEEDED,
          `File is ${size} bytes; the virus scanner vouches for at most ${config.SCAN_MAX_BYTES}`,
        );
      }

      let progress: Record<string, unknown> = { phase: 'waiting for a workspace' };
      const beat = setInterval(() => ctx.heartbeat(progress), HEARTBEAT_MS);
      const role = roleOf(ctx.info.taskQueue);
      try {
        const session = await sessions.open(uploadId, role, ctx.cancellationSignal);
        try {
          const scan = upload.sha256 === null || rescan;
          if (scan) await uploads.setStage(uploadId, 'scanning');
          progress = { phase: scan ? 'scanning' : 'downloading', bytes: 0 };

          const body = await storage.openStream(objectKeys.original(upload.tenantId, upload.id));
          const read = await readOriginal(body, session.sourcePath, {
            scanner: scan ? scanner : undefined,
            signal: ctx.cancellationSignal,
            onBytes: (bytes) => (progress = { ...progress, bytes }),
            // Heartbeats continue while clamd works on a large file after the last byte.
            onScanProgress: (scanned) => ctx.heartbeat({ ...progress, scanned }),
          });
          const { bytes, sha256 } = read;
          metrics?.originalRead(bytes, scan);
          if (bytes !== upload.size || (upload.sha256 !== null && upload.sha256 !== sha256)) {
            throw ApplicationFailure.nonRetryable(
              `the original read back as ${bytes} bytes with another hash than the one scanned`,
              ORIGINAL_CHANGED,
            );
          }
          const result = read.verdict;
          if (result && !result.clean) {
            const signature = result.signatures.join(', ') || 'unknown';
            await storage.move(objectKeys.original(upload.tenantId, upload.id), objectKeys.quarantine(upload.tenantId, upload.id));
            activityLog().warn('upload infected, quarantined', { ...about(upload), signature });
            const code = rejectionForFinding(signature);
            metrics?.scanned(VERDICTS[code] ?? 'infected');
            throw rejection(code, `Virus scanner found: ${signature}`, { signatures: result.signatures });
          }
          if (scan) {
            metrics?.scanned('clean');
            await uploads.setSha256(uploadId, sha256);
            activityLog().info('upload scanned clean', { ...about(upload), bytes, sha256 });
          }
          if (!keepLocalCopy) await sessions.close(uploadId, session);
          return { taskQueue: sessions.localQueue(ctx.info.taskQueue), sha256 };
        } catch (err) {
          await sessions.close(uploadId, session);
          throw err;
        } finally {
          sessions.done(session);
        }
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/** The end of an upload's stay on a worker: its local copy is removed and its slot freed. */
export function releaseActivities({ sessions }: ActivityDeps) {
  return {
    async releaseWorkspace({ uploadId }: { uploadId: string }): Promise<void> {
      await sessions.close(uploadId);
    },
  };
}
