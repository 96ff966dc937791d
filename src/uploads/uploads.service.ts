import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TASK_QUEUES, UploadWorkflowInput, uploadCompletedSignal, workflowIdFor } from '../../workflows/contract';
import type { uploadWorkflow } from '../../workflows/upload.workflow';
import { LOGGER } from '../common/logger';
import { errors } from '../common/errors';
import { AppConfig, CONFIG, effectiveMaxUploadBytes } from '../config/config';
import type { Tenant } from '../database/entities/tenant.entity';
import { objectKeys } from '../storage/object-keys';
import { ObjectStorage } from '../storage/object-storage';
import { isAllowedType } from './upload-policy';
import { UploadStore } from './upload-store';
import { UploadView, presentUpload } from './upload-view';
import { CompletedUpload, CreateUploadDto, CreatedUpload } from './uploads.dto';

@Injectable()
export class UploadsService {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(Client) private readonly temporal: Client,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Records the upload, starts its workflow (which waits for the bytes) and hands out a PUT URL. */
  async create(tenant: Tenant, dto: CreateUploadDto): Promise<CreatedUpload> {
    if (!isAllowedType(dto.contentType)) throw errors.unsupportedType(dto.contentType);
    const max = effectiveMaxUploadBytes(this.config);
    if (dto.size > max) throw errors.fileTooLarge(dto.size, max);

    const id = randomUUID();
    const ttl = dto.expiresInSeconds ?? this.config.UPLOAD_URL_TTL_SECONDS;
    const expiresAt = new Date(Date.now() + ttl * 1000);
    await this.uploads.create({
      id,
      tenantId: tenant.id,
      filename: dto.filename,
      contentType: dto.contentType,
      size: dto.size,
      expiresAt,
    });

    try {
      const input: UploadWorkflowInput = { uploadId: id, tenantId: tenant.id, expiresAt: expiresAt.toISOString() };
      await this.temporal.workflow.start<typeof uploadWorkflow>('uploadWorkflow', {
        taskQueue: TASK_QUEUES.uploads,
        workflowId: workflowIdFor(id),
        args: [input],
        memo: { tenantId: tenant.id, filename: dto.filename },
      });
    } catch (err) {
      this.logger.error({ err, uploadId: id, tenantId: tenant.id }, 'could not start upload workflow');
      // No workflow means nobody would ever process or expire this row: take it back.
      await this.uploads.delete(id);
      throw errors.dependencyUnavailable('temporal');
    }

    // The only key a client may write. The URL dies with the upload window (expiresAt), and the
    // workflow deletes whatever sits at this key then, so a late PUT leaves nothing behind.
    const upload = await this.storage.presignPut(objectKeys.incoming(tenant.id, id), dto.contentType, dto.size, ttl);
    this.logger.info({ uploadId: id, tenantId: tenant.id, contentType: dto.contentType, size: dto.size }, 'upload created');
    return { id, status: 'awaiting_upload', upload, expiresAt: expiresAt.toISOString() };
  }

  /** Tells the workflow the bytes are in. Idempotent: a second call reports the state, starts nothing. */
  async complete(tenant: Tenant, id: string): Promise<CompletedUpload> {
    const upload = await this.uploads.findForTenant(id, tenant.id);
    if (!upload) throw errors.uploadNotFound();
    if (upload.status === 'expired') throw errors.uploadExpired();
    if (upload.status !== 'awaiting_upload') return { id, status: upload.status };

    // Pin what the client declared done: verify copies this version (by ETag) or rejects TAMPERED.
    const head = await this.storage.head(objectKeys.incoming(tenant.id, id));
    if (!head?.etag) throw errors.objectNotUploaded();
    try {
      await this.temporal.workflow.getHandle(workflowIdFor(id)).signal(uploadCompletedSignal, { etag: head.etag });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw errors.uploadExpired();
      this.logger.error({ err, uploadId: id, tenantId: tenant.id }, 'could not signal upload workflow');
      throw errors.dependencyUnavailable('temporal');
    }
    await this.uploads.markProcessing(id);
    this.logger.info({ uploadId: id, tenantId: tenant.id }, 'upload completed by client');
    const now = await this.uploads.findById(id);
    return { id, status: now?.status === 'awaiting_upload' ? 'processing' : (now?.status ?? 'processing') };
  }

  async get(tenant: Tenant, id: string): Promise<UploadView> {
    const upload = await this.uploads.findForTenant(id, tenant.id);
    if (!upload) throw errors.uploadNotFound();
    const outputs = await this.uploads.listOutputs(id);
    return presentUpload(upload, outputs, this.storage, this.config.DOWNLOAD_URL_TTL_SECONDS);
  }
}
