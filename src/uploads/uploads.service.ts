import { Inject, Injectable, Optional } from '@nestjs/common';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TASK_QUEUES, UploadWorkflowInput, uploadCompletedSignal, workflowIdFor } from '../../workflows/contract';
import type { uploadWorkflow } from '../../workflows/upload.workflow';
import { uploadStartOptions } from '../../workflows/visibility';
import { UploadTokenStore } from '../auth/upload-token-store';
import { Principal, canSee } from '../auth/principal';
import { LOGGER } from '../common/logger';
import { errors } from '../common/errors';
import { AppConfig, CONFIG, effectiveMaxUploadBytes } from '../config/config';
import type { ApiMetrics } from '../observability/metrics/api-metrics';
import { API_METRICS } from '../observability/metrics/metrics.tokens';
import type { Upload, UploadMode } from '../database/entities/upload.entity';
import { smallestLimit, typeAllowedBy } from '../tenants/tenant-policy';
import { OutputLinks } from '../outputs/output-links';
import { objectKeys } from '../storage/object-keys';
import { ObjectHead, ObjectStorage } from '../storage/object-storage';
import { ClientMetadata, mergeClientMetadata } from './client-metadata';
import { MultipartUploads, RequestedPart } from './modes/multipart';
import { presignPostFor } from './modes/post-policy';
import { isAllowedType } from './upload-policy';
import { NewUpload, UploadStore } from './upload-store';
import { UploadView, presentUpload } from './upload-view';
import { CompletedUpload, CreateUploadDto, CreatedUpload, UploadInstructions } from './uploads.dto';

/** What every upload mode (REST, Uppy, tus) asks for; the checks and the workflow are the same for all. */
export interface UploadRequest {
  filename: string;
  contentType: string;
  /** null when the client does not declare it (Uppy, tus with deferred length): maxSize still applies. */
  size: number | null;
  mode: UploadMode;
  /** Uploads Uppy's routes open are counted as `uppy` in intake_uploads_created_total, whatever their mode. */
  via?: 'uppy';
  metadata?: ClientMetadata;
  /** The upload window; defaults to UPLOAD_URL_TTL_SECONDS. */
  expiresInSeconds?: number;
}

/**
 * When an upload's window closes: `ttl` seconds from now, in whole seconds (presigned URLs and POST
 * policies expire on second boundaries), and never after the upload token that opened it expires:
 * a token cannot hand out URLs that outlive it, nor hold quota with uploads that wait past it.
 */
export function uploadWindowEnd(ttlSeconds: number, tokenExpiresAt?: Date, now = Date.now()): Date {
  const end = Math.floor(now / 1000) * 1000 + ttlSeconds * 1000;
  return new Date(tokenExpiresAt ? Math.min(end, Math.floor(tokenExpiresAt.getTime() / 1000) * 1000) : end);
}

@Injectable()
export class UploadsService {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(UploadTokenStore) private readonly tokens: UploadTokenStore,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(Client) private readonly temporal: Client,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MultipartUploads) private readonly multipart: MultipartUploads,
    @Inject(OutputLinks) private readonly links: OutputLinks,
    @Optional() @Inject(API_METRICS) private readonly metrics: ApiMetrics | null = null,
  ) {}

  /** REST creation: records the upload, starts its workflow and says how to send the bytes. */
  async create(principal: Principal, dto: CreateUploadDto): Promise<CreatedUpload> {
    const upload = await this.open(principal, { ...dto, mode: dto.mode ?? 'put' });
    const instructions = await this.instructionsFor(upload);
    return { id: upload.id, status: 'awaiting_upload', upload: instructions, expiresAt: upload.expiresAt.toISOString() };
  }

  /**
   * Checks a request against the platform's, the tenant's and the token's limits, records the
   * upload and starts its workflow (which waits for the bytes). Every mode goes through here.
   */
  async open(principal: Principal, request: UploadRequest): Promise<Upload> {
    const { tenant } = principal;
    const token = principal.kind === 'upload_token' ? principal.token : null;
    if (!isAllowedType(request.contentType)) throw errors.unsupportedType(request.contentType);
    if (!typeAllowedBy(request.contentType, tenant.policy.allowedTypes) || !typeAllowedBy(request.contentType, token?.allowedTypes)) {
      throw errors.typeNotAllowed(request.contentType);
    }
    const maxSize = smallestLimit(effectiveMaxUploadBytes(this.config), tenant.policy.maxFileSize, token?.maxFileSize);
    if (request.size !== null && request.size > maxSize) throw errors.fileTooLarge(request.size, maxSize);

    const ttl = request.expiresInSeconds ?? this.config.UPLOAD_URL_TTL_SECONDS;
    const row: NewUpload = {
      id: randomUUID(),
      tenantId: tenant.id,
      filename: request.filename,
      contentType: request.contentType,
      size: request.size,
      maxSize,
      mode: request.mode,
      tokenId: token?.id ?? null,
      clientMetadata: mergeClientMetadata(request.metadata, token?.metadata),
      expiresAt: uploadWindowEnd(ttl, token?.expiresAt),
    };

    if (token && !(await this.tokens.reserveUpload(token.id))) throw errors.uploadTokenExhausted();
    try {
      const quota = tenant.policy.storageQuotaBytes;
      if (quota === undefined) await this.uploads.create(row);
      else if (!(await this.uploads.createWithinQuota(row, quota))) throw errors.quotaExceeded(quota);
    } catch (err) {
      if (token) await this.tokens.releaseUpload(token.id);
      throw err;
    }

    try {
      const input: UploadWorkflowInput = {
        uploadId: row.id,
        tenantId: tenant.id,
        expiresAt: row.expiresAt.toISOString(),
        mode: request.mode,
        ...(tenant.policy.outputs ? { outputs: tenant.policy.outputs } : {}),
      };
      await this.temporal.workflow.start<typeof uploadWorkflow>('uploadWorkflow', {
        taskQueue: TASK_QUEUES.uploads,
        workflowId: workflowIdFor(row.id),
        args: [input],
        memo: { tenantId: tenant.id, filename: request.filename },
        // Search attributes and the summary operators see in the Temporal UI (docs/operations.md).
        ...uploadStartOptions(input, request),
      });
    } catch (err) {
      this.logger.error({ err, uploadId: row.id, tenantId: tenant.id }, 'could not start upload workflow');
      // No workflow means nobody would ever process or expire this row: take it back.
      await this.uploads.delete(row.id);
      if (token) await this.tokens.releaseUpload(token.id);
      throw errors.dependencyUnavailable('temporal');
    }
    this.logger.info(
      { uploadId: row.id, tenantId: tenant.id, mode: request.mode, contentType: request.contentType, size: request.size },
      'upload created',
    );
    this.metrics?.uploadCreated(request.via ?? request.mode);
    return (await this.uploads.findById(row.id))!;
  }

  /** How the client sends the bytes, for the upload's mode. */
  private async instructionsFor(upload: Upload): Promise<UploadInstructions> {
    const ttl = Math.max(1, Math.floor((upload.expiresAt.getTime() - Date.now()) / 1000));
    switch (upload.mode) {
      case 'put':
        // The only key a client may write. The URL dies with the upload window (expiresAt), and the
        // workflow deletes whatever sits at this key then, so a late PUT leaves nothing behind.
        return this.storage.presignPut(objectKeys.incoming(upload.tenantId, upload.id), upload.contentType, upload.size!, ttl);
      case 'multipart':
        // Part URLs come from POST /v1/uploads/:id/parts, each signed for its part's exact length.
        return { method: 'MULTIPART', ...(await this.multipart.begin(upload))! };
      case 'post':
        // No complete call: the bucket notification or the workflow's polling notices the object.
        return presignPostFor(this.storage, upload);
      default:
        throw errors.invalidRequest(`mode ${upload.mode} is not available on this route`);
    }
  }

  /** The upload, if this principal may see it; 404 otherwise (whether or not it exists). */
  async findVisible(principal: Principal, id: string): Promise<Upload> {
    const upload = await this.uploads.findById(id);
    if (!upload || !canSee(principal, upload)) throw errors.uploadNotFound();
    return upload;
  }

  /** Tells the workflow the bytes are in. Idempotent: a second call reports the state, starts nothing. */
  async complete(principal: Principal, id: string, parts?: RequestedPart[]): Promise<CompletedUpload> {
    const upload = await this.findVisible(principal, id);
    if (upload.status === 'expired') throw errors.uploadExpired();
    if (upload.status !== 'awaiting_upload') return { id, status: upload.status };
    // Multipart: assemble the parts at the incoming key, then pin the assembled object like a PUT.
    if (upload.mode === 'multipart') return this.signalArrival(upload, await this.multipart.assemble(upload, parts));
    if (parts) throw errors.uploadStateConflict('Only multipart uploads are completed with a parts list');

    const pinned = await this.signalStoredObject(upload);
    if (!pinned) throw errors.objectNotUploaded();
    return pinned.completed;
  }

  /**
   * Pins the object now at the upload's incoming key by its ETag (verify copies exactly that
   * version, or rejects TAMPERED) and hands it to the workflow; null while nothing is stored there.
   * What `complete`, storage notifications and tus's finish all do once the bytes are in.
   */
  async signalStoredObject(upload: Upload): Promise<{ head: ObjectHead; completed: CompletedUpload } | null> {
    const head = await this.storage.head(objectKeys.incoming(upload.tenantId, upload.id));
    if (!head?.etag) return null;
    return { head, completed: await this.signalArrival(upload, head.etag) };
  }

  /**
   * Hands the workflow the ETag of the object to process (the first signal wins) and moves the
   * upload to processing. Every mode ends its upload here.
   */
  async signalArrival(upload: Upload, etag: string): Promise<CompletedUpload> {
    const { id, tenantId } = upload;
    try {
      await this.temporal.workflow.getHandle(workflowIdFor(id)).signal(uploadCompletedSignal, { etag });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw errors.uploadExpired();
      this.logger.error({ err, uploadId: id, tenantId }, 'could not signal upload workflow');
      throw errors.dependencyUnavailable('temporal');
    }
    await this.uploads.markProcessing(id);
    this.logger.info({ uploadId: id, tenantId }, 'upload arrival signalled');
    const now = await this.uploads.findById(id);
    return { id, status: now?.status === 'awaiting_upload' ? 'processing' : (now?.status ?? 'processing') };
  }

  async get(principal: Principal, id: string): Promise<UploadView> {
    const upload = await this.findVisible(principal, id);
    const outputs = await this.uploads.listOutputs(id);
    return presentUpload(upload, outputs, this.links);
  }
}
