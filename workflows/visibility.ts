/**
 * What operators see of an upload in the Temporal UI and CLI: search attributes, the start summary,
 * activity summaries, the workflow's current details and its `status` query (docs/operations.md).
 * Workflow code (relative imports only); the API takes the keys and start options from here too.
 */
import {
  SearchAttributeType,
  defineSearchAttributeKey,
  type ActivityOptions,
  type LocalActivityOptions,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
} from '@temporalio/common';
import { patched, scheduleActivity, scheduleLocalActivity, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MediaKind } from '../src/database/entities/upload.entity';
import {
  PIPELINE_VERSION,
  uploadStatusQuery,
  type UploadProgress,
  type UploadStatusView,
  type UploadWorkflowInput,
  type UploadWorkflowResult,
} from './contract';

/**
 * Every custom search attribute Intake sets. A cluster must have them registered before a worker
 * runs this code (an upsert of an unknown attribute fails the workflow task): scripts/lib/stack.sh
 * registers INTAKE_SEARCH_ATTRIBUTES, which a unit test keeps equal to this list.
 */
export const SEARCH_ATTRIBUTES = {
  tenantId: defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD),
  uploadId: defineSearchAttributeKey('UploadId', SearchAttributeType.KEYWORD),
  mediaKind: defineSearchAttributeKey('MediaKind', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD),
  uploadStatus: defineSearchAttributeKey('UploadStatus', SearchAttributeType.KEYWORD),
  errorCode: defineSearchAttributeKey('ErrorCode', SearchAttributeType.KEYWORD),
  pipelineVersion: defineSearchAttributeKey('PipelineVersion', SearchAttributeType.INT),
} as const;

/** What the upload was created with, as the API knows it when it starts the workflow. */
export interface UploadStartFacts {
  filename: string;
  contentType: string;
  size: number | null;
}

/** Start options that make an upload's workflow findable and readable (Temporal UI, `temporal workflow list`). */
export function uploadStartOptions(input: UploadWorkflowInput, facts: UploadStartFacts) {
  const filename = operatorText(facts.filename);
  const typedSearchAttributes: SearchAttributePair[] = [
    { key: SEARCH_ATTRIBUTES.tenantId, value: input.tenantId },
    { key: SEARCH_ATTRIBUTES.uploadId, value: input.uploadId },
    { key: SEARCH_ATTRIBUTES.uploadStatus, value: 'awaiting_upload' },
    { key: SEARCH_ATTRIBUTES.stage, value: 'awaiting_upload' },
    { key: SEARCH_ATTRIBUTES.pipelineVersion, value: PIPELINE_VERSION },
  ];
  return {
    typedSearchAttributes,
    staticSummary: `${filename} (${facts.contentType}, ${formatSize(facts.size)})`,
    staticDetails: [
      `File: ${filename}`,
      `Tenant: ${input.tenantId}`,
      `Size: ${formatSize(facts.size)}`,
      `Declared type: ${facts.contentType}`,
      `Mode: ${input.mode ?? 'put'}`,
      `Upload window ends: ${input.expiresAt}`,
    ].join('\n'),
  };
}

/** The deletion workflow is found by the same upload and tenant ids as the upload's own. */
export function deletionStartOptions(uploadId: string, tenantId: string) {
  const typedSearchAttributes: SearchAttributePair[] = [
    { key: SEARCH_ATTRIBUTES.tenantId, value: tenantId },
    { key: SEARCH_ATTRIBUTES.uploadId, value: uploadId },
  ];
  return { typedSearchAttributes, staticSummary: `delete upload ${uploadId}` };
}

const FILENAME_SHOWN = 80;

/**
 * Client text as operators see it: no control or bidi characters (they could hide or reorder what
 * is shown), short, and no markdown links or HTML (the UI renders summaries as markdown).
 */
export function operatorText(text: string, max = FILENAME_SHOWN): string {
  const chars = Array.from(text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim());
  const short = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
  return short.replace(/[\\`[\]<>]/g, '\\$&') || '(no name)';
}

export function formatSize(bytes: number | null): string {
  if (bytes === null) return 'size not declared';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** One line per activity in the Temporal UI; activities not named here get their name in words. */
const ACTIVITY_SUMMARIES: Partial<Record<keyof Activities, (input: any) => string>> = {
  checkArrival: () => 'look for the form upload',
  verifyUpload: () => 'verify object',
  ingestOriginal: () => 'scan + ingest',
  publishEvent: (input: { event: string }) => `publish ${input.event}`,
  notifyTenant: (input: { event: string }) => `notify tenant: ${input.event}`,
  finishUpload: (input: { status: string }) => `record outcome: ${input.status}`,
  transcodeSegment: (input: { segment: { index: number }; segmentCount: number; rungs: Array<{ name: string }> }) =>
    `transcode segment ${input.segment.index + 1}/${input.segmentCount}, ${input.rungs.map((r) => r.name).join(' + ')}`,
  assembleVideo: () => 'join segments + record the ladder',
};

function summaryOf(activityType: string, input: unknown): string {
  const summary = ACTIVITY_SUMMARIES[activityType as keyof Activities];
  return summary ? summary(input) : activityType.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/** proxyActivities, each activity scheduled with its summary (an explicit `summary` option wins). */
export function summarizedActivities(options: ActivityOptions): Activities {
  return new Proxy({} as Activities, {
    get: (_, name) => (...args: unknown[]) => scheduleActivity(String(name), args, { summary: summaryOf(String(name), args[0]), ...options }),
  });
}

/** proxyLocalActivities, each activity scheduled with its summary. */
export function summarizedLocalActivities(options: LocalActivityOptions): Activities {
  return new Proxy({} as Activities, {
    get: (_, name) => (...args: unknown[]) =>
      scheduleLocalActivity(String(name), args, { summary: summaryOf(String(name), args[0]), ...options }),
  });
}

/**
 * Upserting search attributes adds workflow commands: histories from before it have none, so on
 * their replay (and for the rest of such a run) the workflow must not upsert.
 */
const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';

/**
 * An upload's state as operators see it: the workflow calls it where its stage changes and at the
 * end; it keeps the search attributes, the current details and the `status` query in step.
 */
export class UploadVisibility {
  private status: UploadStatusView['status'] = 'awaiting_upload';
  private mediaKind: MediaKind | null = null;
  private error: UploadWorkflowResult['error'] = null;
  private readonly upserts = patched(SEARCH_ATTRIBUTES_PATCH);

  constructor(
    private readonly input: UploadWorkflowInput,
    readonly progress: UploadProgress,
  ) {
    setHandler(uploadStatusQuery, () => this.view());
    this.showDetails();
  }

  /** The workflow moved to `stage`; the first move past awaiting_upload means the bytes arrived. */
  enter(stage: UploadProgress['stage'], also: SearchAttributeUpdatePair[] = []): void {
    this.progress.stage = stage;
    const update: SearchAttributeUpdatePair[] = [{ key: SEARCH_ATTRIBUTES.stage, value: stage }, ...also];
    if (this.status === 'awaiting_upload' && stage !== 'awaiting_upload') {
      this.status = 'processing';
      // The worker's version is the one that processes the upload (the API's may differ mid-deploy).
      update.push({ key: SEARCH_ATTRIBUTES.uploadStatus, value: 'processing' }, { key: SEARCH_ATTRIBUTES.pipelineVersion, value: PIPELINE_VERSION });
    }
    this.upsert(update);
    this.showDetails();
  }

  /** Verify read the bytes: the kind is known and processing starts. */
  verified(kind: MediaKind): void {
    this.mediaKind = kind;
    this.enter('processing', [{ key: SEARCH_ATTRIBUTES.mediaKind, value: kind }]);
  }

  /** How it ended; the stage is `done`. */
  finished(outcome: UploadWorkflowResult): void {
    this.status = outcome.status;
    this.error = outcome.error;
    if (outcome.status === 'ready') this.progress.progress = 100;
    const update: SearchAttributeUpdatePair[] = [{ key: SEARCH_ATTRIBUTES.uploadStatus, value: outcome.status }];
    if (outcome.error) update.push({ key: SEARCH_ATTRIBUTES.errorCode, value: outcome.error.code });
    this.enter('done', update);
  }

  /**
   * Cancelled while processing (the tenant deleted the upload, or an operator cancelled it): said as
   * such, so a deleted upload is not found among the failed ones. Same upsert command as finished().
   */
  cancelled(): void {
    this.status = 'cancelled';
    this.enter('done', [{ key: SEARCH_ATTRIBUTES.uploadStatus, value: 'cancelled' }]);
  }

  /** What the workflow is doing or waiting for, in words (the UI's "current details"). */
  showDetails(): void {
    setCurrentDetails(this.describe());
  }

  view(): UploadStatusView {
    const { uploadId, tenantId } = this.input;
    const { stage, progress } = this.progress;
    return { uploadId, tenantId, status: this.status, stage, mediaKind: this.mediaKind, error: this.error, progress };
  }

  private describe(): string {
    const { stage, segmentsDone, segmentsTotal } = this.progress;
    switch (stage) {
      case 'awaiting_upload':
        return this.input.mode === 'post'
          ? `watching storage for the form upload until ${this.input.expiresAt}`
          : `waiting for the client to upload until ${this.input.expiresAt}`;
      case 'verifying':
        return 'verifying the uploaded object';
      case 'processing':
        return `scanning and processing the ${this.mediaKind ?? 'upload'}`;
      case 'transcoding':
        return `transcoding ${segmentsDone}/${segmentsTotal} segments`;
      case 'done':
        return this.error ? `${this.status}: ${this.error.code}` : this.status;
    }
  }

  private upsert(update: SearchAttributeUpdatePair[]): void {
    if (this.upserts) upsertSearchAttributes(update);
  }
}
