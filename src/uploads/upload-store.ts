import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import { UploadOutput } from '../database/entities/upload-output.entity';
import { MediaKind, Upload, UploadStage, UploadStatus } from '../database/entities/upload.entity';

export type NewOutput = Omit<UploadOutput, 'id' | 'createdAt' | 'uploadId'>;

/** What a new upload needs; the rest starts as "awaiting upload, nothing known yet". */
export type NewUpload = Pick<Upload, 'id' | 'tenantId' | 'filename' | 'contentType' | 'size' | 'expiresAt'> &
  Partial<Pick<Upload, 'status' | 'stage'>>;

/** Upload rows and their outputs. Every write is idempotent so activities can run twice. */
@Injectable()
export class UploadStore {
  private readonly uploads: Repository<Upload>;
  private readonly outputs: Repository<UploadOutput>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.uploads = dataSource.getRepository(Upload);
    this.outputs = dataSource.getRepository(UploadOutput);
  }

  create(upload: NewUpload): Promise<Upload> {
    return this.uploads.save(
      this.uploads.create({
        status: 'awaiting_upload',
        stage: 'awaiting_upload',
        progress: 0,
        kind: null,
        detectedType: null,
        metadata: null,
        sourceEtag: null,
        sha256: null,
        errorCode: null,
        errorMessage: null,
        ...upload,
      }),
    );
  }

  async delete(id: string): Promise<void> {
    await this.uploads.delete({ id });
  }

  findById(id: string): Promise<Upload | null> {
    return this.uploads.findOneBy({ id });
  }

  async get(id: string): Promise<Upload> {
    const upload = await this.findById(id);
    if (!upload) throw new Error(`upload ${id} does not exist`);
    return upload;
  }

  findForTenant(id: string, tenantId: string): Promise<Upload | null> {
    return this.uploads.findOneBy({ id, tenantId });
  }

  listOutputs(uploadId: string): Promise<UploadOutput[]> {
    return this.outputs.find({ where: { uploadId }, order: { name: 'ASC' } });
  }

  /** awaiting_upload -> processing; returns false when the upload had already left that state. */
  async markProcessing(id: string): Promise<boolean> {
    const result = await this.uploads.update({ id, status: 'awaiting_upload' }, { status: 'processing' });
    return (result.affected ?? 0) > 0;
  }

  /** Stage changes only move a non-terminal upload; a late retry cannot resurrect a finished one. */
  async setStage(id: string, stage: UploadStage, progress = 0): Promise<void> {
    await this.uploads.update(
      { id, status: In(['awaiting_upload', 'processing']) },
      { status: 'processing', stage, progress },
    );
  }

  async setProgress(id: string, progress: number): Promise<void> {
    await this.uploads.update({ id, status: 'processing' }, { progress: Math.max(0, Math.min(100, progress)) });
  }

  /** What verify established: the real type and the ETag of the version that was copied to the original. */
  async setVerified(id: string, kind: MediaKind, detectedType: string, sourceEtag: string): Promise<void> {
    await this.uploads.update({ id }, { kind, detectedType, sourceEtag });
  }

  async setSha256(id: string, sha256: string): Promise<void> {
    await this.uploads.update({ id }, { sha256 });
  }

  async setMetadata(id: string, metadata: Record<string, unknown>): Promise<void> {
    // jsonb column: TypeORM's deep-partial typing does not fit an opaque record.
    await this.uploads.update({ id }, { metadata: metadata as never });
  }

  /**
   * Inserts or replaces an output, only while the upload is still processing: an attempt that
   * outlived its timeout cannot add outputs to an upload a later attempt already finished.
   * `written` is false when the write was fenced off; `replacedKey` is the object the row named
   * before (now unreferenced) when this replaced it.
   */
  async upsertOutput(uploadId: string, output: NewOutput): Promise<{ written: boolean; replacedKey: string | null }> {
    const rows: Array<{ written: string | number; replaced: string | null }> = await this.outputs.query(
      `WITH old AS (SELECT object_key FROM upload_outputs WHERE upload_id = $1 AND name = $2),
       ins AS (
         INSERT INTO upload_outputs (upload_id, name, object_key, content_type, size, width, height)
         SELECT u.id, $2, $3, $4, $5, $6, $7 FROM uploads u WHERE u.id = $1 AND u.status = 'processing'
         ON CONFLICT (upload_id, name) DO UPDATE SET object_key = EXCLUDED.object_key,
           content_type = EXCLUDED.content_type, size = EXCLUDED.size, width = EXCLUDED.width, height = EXCLUDED.height
         RETURNING id)
       SELECT (SELECT count(*) FROM ins) AS written, (SELECT object_key FROM old) AS replaced`,
      [uploadId, output.name, output.objectKey, output.contentType, output.size, output.width, output.height],
    );
    const written = Number(rows[0]?.written ?? 0) > 0;
    return { written, replacedKey: written ? (rows[0]?.replaced ?? null) : null };
  }

  /** A rejected or failed upload lists no outputs. */
  async deleteOutputs(uploadId: string): Promise<void> {
    await this.outputs.delete({ uploadId });
  }

  async finish(
    id: string,
    status: Extract<UploadStatus, 'ready' | 'rejected' | 'failed' | 'expired'>,
    error: { code: string; message: string } | null,
  ): Promise<void> {
    await this.uploads.update(
      { id },
      {
        status,
        stage: 'done',
        progress: status === 'ready' ? 100 : undefined,
        errorCode: error?.code ?? null,
        errorMessage: error?.message ?? null,
      },
    );
  }
}
