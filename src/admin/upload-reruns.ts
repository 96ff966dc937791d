import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import {
  type RerunFilter,
  type RerunKind,
  type ReprocessBatchInput,
  TASK_QUEUES,
  type UploadWorkflowInput,
  reprocessBatchWorkflowIdFor,
  workflowIdFor,
} from '../../workflows/contract';
import { uploadStartOptions } from '../../workflows/visibility';
import { AppError, errors } from '../common/errors';
import { KeysetPosition, positionAt } from '../common/keyset-cursor';
import { Upload } from '../database/entities/upload.entity';
import { TenantStore } from '../tenants/tenant-store';

/** The status a rerun of each kind starts from. */
const FROM_STATUS: Record<RerunKind, 'failed' | 'ready'> = { retry: 'failed', reprocess: 'ready' };

/**
 * Admin reruns of uploads that ended: one upload (the API) or a page of a bulk rerun (the batch
 * workflow's activity) goes through start(). Each is a new run of the upload's workflow id with
 * `rerun` in its input (workflows/upload-rerun.ts); the tenant's policy now says what to produce.
 */
@Injectable()
export class UploadReruns {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TenantStore) private readonly tenants: TenantStore,
    @Inject(Client) private readonly temporal: Client,
  ) {}

  /** Starts the rerun, or throws NOT_RETRYABLE / NOT_REPROCESSABLE (409) saying why not. */
  async start(upload: Upload, kind: RerunKind, backfill = false): Promise<void> {
    const refuse = (why: string) => (kind === 'retry' ? errors.notRetryable(why) : errors.notReprocessable(why));
    if (upload.status !== FROM_STATUS[kind]) throw refuse(`it is ${upload.status}, not ${FROM_STATUS[kind]}`);
    // Reruns start from the trusted original only; one that failed before verify recorded it has none.
    if (!upload.kind || !upload.sourceEtag) throw refuse('it failed before its original was verified; upload the file again');
    const tenant = await this.tenants.findById(upload.tenantId);
    const input: UploadWorkflowInput = {
      uploadId: upload.id,
      tenantId: upload.tenantId,
      expiresAt: upload.expiresAt.toISOString(),
      mode: upload.mode,
      ...(tenant?.policy.outputs ? { outputs: tenant.policy.outputs } : {}),
      rerun: { kind, ...(backfill ? { backfill } : {}) },
    };
    // Found and read in the Temporal UI like the upload's first run (docs/operations.md), named as a rerun.
    const visible = uploadStartOptions(input, upload);
    try {
      await this.temporal.workflow.start('uploadWorkflow', {
        ...visible,
        staticSummary: `${kind}: ${visible.staticSummary}`,
        taskQueue: TASK_QUEUES.uploads,
        workflowId: workflowIdFor(upload.id),
        args: [input],
        memo: { tenantId: upload.tenantId, filename: upload.filename, rerun: kind },
        // The upload's earlier runs have closed; a running one (still publishing its outcome) refuses.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw refuse('its workflow is still running; try again shortly');
      throw errors.dependencyUnavailable('temporal');
    }
  }

  /** start() for a bulk rerun: an upload that changed meanwhile is skipped (false), not an error. */
  async startQuietly(upload: Upload, kind: RerunKind): Promise<boolean> {
    try {
      await this.start(upload, kind, true);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.status === 409) return false;
      throw err;
    }
  }

  /**
   * Starts a bulk rerun: a batch workflow pages through the matching uploads and starts each
   * (never one HTTP request looping over thousands). `started` is how many matched now.
   */
  async startBatch(filter: RerunFilter): Promise<{ started: number; batchId: string }> {
    const rows: Array<{ n: string }> = await this.dataSource.query(`SELECT count(*) AS n FROM uploads u WHERE ${CANDIDATE}`, candidateParams(filter));
    const started = Number(rows[0]?.n ?? 0);
    const batchId = randomUUID();
    if (started > 0) {
      const input: ReprocessBatchInput = { filter };
      try {
        await this.temporal.workflow.start('reprocessBatchWorkflow', {
          taskQueue: TASK_QUEUES.uploads,
          workflowId: reprocessBatchWorkflowIdFor(batchId),
          args: [input],
        });
      } catch {
        throw errors.dependencyUnavailable('temporal');
      }
    }
    return { started, batchId };
  }

  /** The uploads among `uploadIds` whose workflow (its latest run) is still running. */
  async stillRunning(uploadIds: string[]): Promise<string[]> {
    const running = await Promise.all(
      uploadIds.map(async (id) => {
        try {
          return (await this.temporal.workflow.getHandle(workflowIdFor(id)).describe()).status.name === 'RUNNING';
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        }
      }),
    );
    return uploadIds.filter((_, i) => running[i]);
  }

  /** The next page of uploads matching `filter` after `after`, oldest first. */
  async candidates(filter: RerunFilter, after: KeysetPosition | undefined, limit: number): Promise<Array<{ upload: Upload; position: KeysetPosition }>> {
    const rows: Array<{ id: string; at: string }> = await this.dataSource.query(
      `SELECT u.id, ${positionAt('u.created_at')} AS at FROM uploads u
       WHERE ${CANDIDATE} AND (u.created_at, u.id) > (CAST($5 AS timestamptz), CAST($6 AS uuid))
       ORDER BY u.created_at, u.id LIMIT $7`,
      [...candidateParams(filter), after?.at ?? '-infinity', after?.id ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    const uploads = new Map((await this.dataSource.getRepository(Upload).findBy({ id: In(rows.map((r) => r.id)) })).map((u) => [u.id, u]));
    return rows.flatMap((r) => (uploads.has(r.id) ? [{ upload: uploads.get(r.id)!, position: { at: r.at, id: r.id } }] : []));
  }
}

/** Uploads a bulk rerun re-drives: a failed one only if it has a verified original to retry from. */
const CANDIDATE = `u.status = $1 AND u.created_at < CAST($2 AS timestamptz)
  AND ($3::uuid IS NULL OR u.tenant_id = $3::uuid) AND ($4::text IS NULL OR u.kind = $4::text)
  AND (u.status <> 'failed' OR (u.kind IS NOT NULL AND u.source_etag IS NOT NULL))`;

function candidateParams(filter: RerunFilter): unknown[] {
  return [filter.status, filter.createdBefore, filter.tenantId ?? null, filter.mediaKind ?? null];
}
