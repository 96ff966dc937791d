/**
 * What the API, the worker and the workflow agree on. Pure constants and types: safe to import
 * from workflow code (relative imports only — the workflow bundler resolves nothing else).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { MediaKind } from '../src/database/entities/upload.entity';

export const TASK_QUEUES = {
  /**
   * Workflows and the short activities. Each worker also polls its own queues, `<queue>@<worker id>`,
   * for the steps that read its local copy of an upload (see activities/ingest.ts).
   */
  uploads: 'intake-uploads',
  /** Long video jobs, so a separate worker pool can own the CPU. */
  transcode: 'intake-transcode',
  /**
   * A video's segments (and their join), polled by every transcode worker with as many slots as it
   * has transcode slots: a killed worker loses only the segments it was encoding, one per slot.
   */
  segments: 'intake-transcode-segments',
  /**
   * Webhook deliveries (their workflows and attempts): a slow or dead consumer takes slots here,
   * never on the queues that process uploads.
   */
  webhooks: 'intake-webhooks',
  /**
   * Admin reruns started in bulk (POST /v1/admin/uploads/reprocess) take their first heavy step
   * here, and hold a workspace of the `backfill` role: each worker polls it with a few slots
   * (WORKER_MAX_CONCURRENT_BACKFILL), so a backfill never queues ahead of live uploads.
   */
  backfill: 'intake-backfill',
} as const;

export const workflowIdFor = (uploadId: string) => `upload-${uploadId}`;
export const reprocessBatchWorkflowIdFor = (batchId: string) => `reprocess-batch-${batchId}`;
export const incomingSweepWorkflowIdFor = (uploadId: string) => `upload-${uploadId}-incoming-sweep`;
export const deletionWorkflowIdFor = (uploadId: string) => `upload-${uploadId}-deletion`;
/** Delivers one event to every endpoint that wants it; the event id is its `webhook-id`. */
export const webhookEventWorkflowIdFor = (eventId: string) => `webhook-${eventId}`;
/** One more attempt of one delivery, asked for by the tenant: one at a time per delivery. */
export const webhookReplayWorkflowIdFor = (deliveryId: string) => `webhook-replay-${deliveryId}`;

export interface UploadWorkflowInput {
  uploadId: string;
  tenantId: string;
  /** ISO time after which an upload that never arrived is expired. */
  expiresAt: string;
  /** How the bytes arrive (absent in histories from before modes existed: `put`). */
  mode?: 'put' | 'post' | 'multipart' | 'tus';
  /** Renditions to produce, from the tenant's policy at creation (a rerun's: at its start); absent: all. */
  outputs?: ReadonlyArray<OutputName>;
  /** An admin rerun of an upload that ended (a new run of its workflow id); absent: a new upload. */
  rerun?: UploadRerun;
}

/**
 * `retry`: a failed upload, from the step that failed (what is recorded is kept). `reprocess`: a
 * ready upload with the current pipeline, into a new output generation swapped in at the end.
 * Neither waits for arrival nor verifies again. `backfill`: started in bulk, so its ingest runs on
 * TASK_QUEUES.backfill.
 */
export interface UploadRerun {
  kind: RerunKind;
  backfill?: boolean;
}
export type RerunKind = 'retry' | 'reprocess';

/** Which uploads a bulk rerun re-drives; `status` `ready` (the default) reprocesses, `failed` retries. */
export interface RerunFilter {
  tenantId?: string;
  status: 'ready' | 'failed';
  mediaKind?: MediaKind;
  /** ISO time; the API sets it to the request's time when absent, so the set does not grow while it runs. */
  createdBefore: string;
}

export interface ReprocessBatchInput {
  filter: RerunFilter;
  /** Where the previous run (before continue-as-new) stopped, and how many it had started. */
  after?: { at: string; id: string };
  started?: number;
}

/**
 * What the pipeline can produce (a tenant's policy may name a subset): `poster`, `storyboard` and
 * `hls` (the streaming ladder) for video, `waveform` for audio.
 */
export const OUTPUT_NAMES = ['optimized', 'thumbnail', 'poster', 'storyboard', 'waveform', 'hls'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export type TerminalStatus = 'ready' | 'rejected' | 'failed' | 'expired';

export interface UploadWorkflowResult {
  status: TerminalStatus;
  error: { code: string; message: string } | null;
}

/** Every event a webhook endpoint can receive (its `events` filter names some of these). */
export const WEBHOOK_EVENT_TYPES = [
  'upload.processing',
  'upload.ready',
  'upload.rejected',
  'upload.failed',
  'upload.expired',
  'upload.deleted',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * Delays before each attempt of a delivery (the first usually 0), in ms: the API and the worker
 * read WEBHOOK_RETRY_SCHEDULE and hand it to the delivery workflow, which only sleeps.
 */
export interface WebhookDeliveryInput {
  eventId: string;
  deliveryIds: string[];
  scheduleMs: number[];
  /** A replay: one more try of a delivery; its failure does not mark the endpoint failing. */
  replay?: boolean;
}

/** The object the client declared complete, pinned by its ETag; verify copies exactly that version. */
export interface UploadCompleted {
  etag: string;
}

/**
 * Sent by `POST /v1/uploads/:id/complete` (and by upload modes that detect arrival themselves);
 * the first one wins, later ones are ignored.
 */
export const uploadCompletedSignal = defineSignal<[UploadCompleted]>('uploadCompleted');

/** Where an upload's workflow is, answered from the workflow alone (no database). */
export interface UploadProgress {
  stage: 'awaiting_upload' | 'verifying' | 'processing' | 'transcoding' | 'done';
  /** 0..100; during a segmented transcode, the share of segments done. */
  progress: number;
  segmentsDone: number;
  segmentsTotal: number;
}

/** `temporal workflow query --name progress` (or the Temporal UI's Queries tab). */
export const uploadProgressQuery = defineQuery<UploadProgress>('progress');

/** An upload as its workflow knows it: what `status` answers, without the database. */
export interface UploadStatusView {
  uploadId: string;
  tenantId: string;
  /** `cancelled`: the workflow was cancelled while processing (the upload was deleted). */
  status: 'awaiting_upload' | 'processing' | TerminalStatus | 'cancelled';
  stage: UploadProgress['stage'];
  /** Known once verify has read the bytes. */
  mediaKind: MediaKind | null;
  error: UploadWorkflowResult['error'];
  /** 0..100, as in `progress` (which also counts segments). */
  progress: number;
}

/** `temporal workflow query --name status`: the upload's status object, from workflow state only. */
export const uploadStatusQuery = defineQuery<UploadStatusView>('status');

/**
 * The pipeline's version, a search attribute (PipelineVersion) on every upload it processes, so
 * operators can find the uploads an older pipeline produced. Bump it when what an upload ends with
 * changes (new or different outputs, checks or limits), not for refactors: it is how a reprocessing
 * campaign picks its uploads (`PipelineVersion < N`).
 */
export const PIPELINE_VERSION = 1;

/**
 * Thrown (non-retryable) by a step that finds no local copy of its upload on the worker it landed
 * on: the workflow then has another worker take the upload over from the original.
 */
export const WORKSPACE_LOST = 'WORKSPACE_LOST';

/**
 * Failure types that end an upload as `rejected`: the file itself is the problem and retrying
 * cannot help. Activities throw them as non-retryable ApplicationFailures (ErrorCode values).
 */
export const REJECTION_CODES: ReadonlySet<string> = new Set([
  'OBJECT_MISSING',
  'SIZE_MISMATCH',
  'TYPE_MISMATCH',
  'UNSUPPORTED_TYPE',
  'INFECTED',
  'SCAN_LIMIT_EXCEEDED',
  'IMAGE_TOO_LARGE',
  'CORRUPT_MEDIA',
  'TAMPERED',
  'ENCRYPTED_CONTENT',
  'VIDEO_TOO_LARGE',
  'VIDEO_TOO_LONG',
  'VIDEO_FRAME_RATE_TOO_HIGH',
  'TOO_MANY_STREAMS',
  // The actual bytes against the limits the upload was created under (sizes Uppy and tus never declared).
  'FILE_TOO_LARGE',
  'TYPE_NOT_ALLOWED',
  'QUOTA_EXCEEDED',
]);
