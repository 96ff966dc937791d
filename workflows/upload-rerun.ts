import { ApplicationFailure, isCancellation, log } from '@temporalio/workflow';
import type { MediaKind } from '../src/database/entities/upload.entity';
import { OUTPUT_NAMES, TASK_QUEUES, type UploadRerun, type UploadWorkflowInput, type UploadWorkflowResult } from './contract';
import type { ProcessedOutcome } from './upload.workflow';
import { type UploadVisibility, summarizedActivities, summarizedLocalActivities } from './visibility';

/**
 * An admin rerun of an upload that ended, as a new run of its workflow (workflow code: deterministic,
 * relative imports only). A `retry` takes a failed upload up again from the step that failed: the
 * upload goes failed -> processing -> ready, and steps whose results are recorded (metadata,
 * outputs, the scan) are skipped. A `reprocess` runs a ready upload through today's pipeline into a
 * new output generation while the old one stays served, then swaps them in one transaction. Both
 * use the trusted original (never `incoming`, never verified again) and publish new events.
 */

/** How the shared pipeline runs for a rerun (a new upload passes none of these). */
export interface PipelineOptions {
  /** Where ingest runs instead of its usual queue (a backfill: TASK_QUEUES.backfill). */
  ingestQueue?: string;
  /** Scan again although a verdict is recorded (reprocess: today's signatures). */
  rescan?: boolean;
  /** Metadata is recorded already (retry). */
  skipMetadata?: boolean;
}

/** The upload workflow's own pipeline, handed in (importing it here would make a cycle). */
export interface Pipeline {
  process(uploadId: string, kind: MediaKind, outputs: UploadWorkflowInput['outputs'], visibility: UploadVisibility, options: PipelineOptions): Promise<void>;
  outcomeOf(err: unknown): ProcessedOutcome;
}

// Database bookkeeping: milliseconds, never gives up (as in the upload workflow).
const bookkeeping = summarizedLocalActivities({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Deleting replaced objects lists and deletes under one prefix: housekeeping, retried a while.
const housekeeping = summarizedActivities({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export async function rerunUpload(
  input: UploadWorkflowInput,
  rerun: UploadRerun,
  visibility: UploadVisibility,
  pipeline: Pipeline,
): Promise<UploadWorkflowResult> {
  const { uploadId } = input;
  const retry = rerun.kind === 'retry';
  const begun = await bookkeeping.beginRerun({ uploadId, kind: rerun.kind });
  if ('refused' in begun) {
    // The upload changed between the API's check and this start (another rerun, a deletion).
    throw ApplicationFailure.nonRetryable(begun.refused, retry ? 'NOT_RETRYABLE' : 'NOT_REPROCESSABLE');
  }
  const { generation, kind, metadataDone, doneOutputs } = begun;
  // A retry produces what is missing; a reprocess the whole set the tenant's policy asks for now.
  const wanted = input.outputs ?? OUTPUT_NAMES;
  const outputs = retry ? wanted.filter((name) => !doneOutputs.includes(name)) : [...wanted];
  log.info('upload rerun', { uploadId, kind: rerun.kind, generation, outputs, backfill: !!rerun.backfill });
  if (retry) await bookkeeping.publishEvent({ uploadId, event: 'upload.processing', generation });

  let outcome: ProcessedOutcome;
  try {
    visibility.verified(kind);
    await pipeline.process(uploadId, kind, outputs, visibility, {
      ...(rerun.backfill ? { ingestQueue: TASK_QUEUES.backfill } : {}),
      ...(retry ? { skipMetadata: metadataDone } : { rescan: true }),
    });
    outcome = { status: 'ready', error: null };
  } catch (err) {
    if (isCancellation(err)) {
      // Deleted while rerunning, as in the first run: said as such, nothing more runs here.
      visibility.cancelled();
      throw err;
    }
    outcome = pipeline.outcomeOf(err);
  }

  if (retry || outcome.status === 'rejected') {
    // A rejected reprocess (e.g. now found infected) ends the upload: its outputs and original go.
    await bookkeeping.finishUpload({ uploadId, status: outcome.status, error: outcome.error });
  } else if (outcome.status === 'failed') {
    // A tool or service fault is ours, not the file's: the upload keeps serving what it had.
    visibility.finished({ status: 'ready', error: outcome.error });
    await bookkeeping.discardGeneration({ uploadId, generation });
    await housekeeping.dropUnreferencedOutputs({ uploadId });
    throw ApplicationFailure.nonRetryable('Reprocessing kept failing; the upload still serves its previous outputs', 'PROCESSING_FAILED');
  } else if (!(await bookkeeping.promoteGeneration({ uploadId, generation }))) {
    throw ApplicationFailure.nonRetryable('The upload was deleted or reprocessed again meanwhile', 'UPLOAD_ENDED');
  }
  visibility.finished(outcome);
  // Whatever no row names any more: the replaced generation, a failed run's leftovers.
  if (outcome.status === 'ready') await housekeeping.dropUnreferencedOutputs({ uploadId });
  await bookkeeping.publishEvent({ uploadId, event: `upload.${outcome.status}`, generation });
  return outcome;
}
