import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, Not, Repository } from 'typeorm';
import { UploadOutput } from '../database/entities/upload-output.entity';
import { MediaKind, Upload, UploadStage, UploadStatus } from '../database/entities/upload.entity';
import { KeysetPosition, positionAt } from '../common/keyset-cursor';
import type { TenantPolicy } from '../tenants/tenant-policy';

/** A rendition to record; `generation` is the one the writing run builds (absent: the first, 0). */
export type NewOutput = Omit<UploadOutput, 'id' | 'createdAt' | 'uploadId' | 'generation'> & { generation?: number };

/**
 * Where an output write may land: the generation a rerun builds beside the served one (status
 * stays `ready`), or the current one while the upload is processing. Anything else (an attempt of
 * an earlier run, an upload that ended) is fenced off. $1 is the upload, $2 the generation.
 */
export const OPEN_GENERATION = `((u.status = 'processing' AND u.next_generation IS NULL AND u.generation = $2)
  OR (u.status = 'ready' AND u.next_generation = $2))`;

/** The outputs an upload serves: its current generation's, none once it failed. */
const SERVED = `o.generation = u.generation AND u.status <> 'failed'`;

/** What a new upload needs; the rest starts as "awaiting upload, nothing known yet". */
export type NewUpload = Pick<Upload, 'id' | 'tenantId' | 'filename' | 'contentType' | 'size' | 'maxSize' | 'expiresAt'> &
  Partial<Pick<Upload, 'status' | 'stage' | 'mode' | 'tokenId' | 'clientMetadata' | 'partSize' | 'multipartUploadId'>>;

/** Where a listing page ended (see KeysetPosition). */
export type UploadPosition = KeysetPosition;

/** Statuses whose bytes count toward a tenant's storage quota. */
const HOLDS_STORAGE = `('awaiting_upload', 'processing', 'ready')`;

/** Upload rows and their outputs. Every write is idempotent so activities can run twice. */
@Injectable()
export class UploadStore {
  private readonly uploads: Repository<Upload>;
  private readonly outputs: Repository<UploadOutput>;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.uploads = dataSource.getRepository(Upload);
    this.outputs = dataSource.getRepository(UploadOutput);
  }

  create(upload: NewUpload): Promise<Upload> {
    return this.uploads.save(this.uploads.create(this.defaults(upload)));
  }

  private defaults(upload: NewUpload): Partial<Upload> {
    return {
      status: 'awaiting_upload',
      stage: 'awaiting_upload',
      progress: 0,
      kind: null,
      detectedType: null,
      metadata: null,
      sourceEtag: null,
      sha256: null,
      mode: 'put',
      tokenId: null,
      multipartUploadId: null,
      partSize: null,
      clientMetadata: null,
      errorCode: null,
      errorMessage: null,
      generation: 0,
      nextGeneration: null,
      ...upload,
    };
  }

  /**
   * Inserts the upload only if the tenant's storage stays within `quota` (declared sizes of uploads
   * awaiting bytes count); false when it would not. Creations of one tenant are serialised by an
   * advisory lock for the check, so two racing uploads cannot both squeeze under the quota.
   */
  async createWithinQuota(upload: NewUpload, quota: number): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [upload.tenantId]);
      const used = await this.storageUsed(upload.tenantId, undefined, tx.query.bind(tx));
      if (used + (upload.size ?? 0) > quota) return false;
      const repo = tx.getRepository(Upload);
      await repo.save(repo.create(this.defaults(upload)));
      return true;
    });
  }

  /**
   * Records the size of an upload that declared none, only if the tenant's storage stays within
   * `quota` with it; false (nothing written) when it would not. Takes createWithinQuota's lock, so
   * concurrent verifies and creations of one tenant see each other's bytes: recording before the
   * bytes are copied is what makes them count. A later rejection ends the upload as rejected or
   * failed, which holds no storage.
   */
  async recordSizeWithinQuota(upload: Pick<Upload, 'id' | 'tenantId'>, size: number, quota: number | undefined): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      if (quota !== undefined) {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [upload.tenantId]);
        const used = await this.storageUsed(upload.tenantId, upload.id, tx.query.bind(tx));
        if (used + size > quota) return false;
      }
      await tx.getRepository(Upload).update({ id: upload.id }, { size });
      return true;
    });
  }

  /**
   * Bytes a tenant holds: sources and served outputs of uploads being processed or ready, plus the
   * declared size of uploads still awaiting their bytes. `excluding` leaves one upload out (verify
   * weighs an upload's actual size against the rest).
   */
  async storageUsed(
    tenantId: string,
    excluding?: string,
    query: (sql: string, params: unknown[]) => Promise<Array<{ used: string | null }>> = (sql, params) => this.dataSource.query(sql, params),
  ): Promise<number> {
    const rows = await query(
      `SELECT
         COALESCE((SELECT sum(COALESCE(size, 0)) FROM uploads
                   WHERE tenant_id = $1 AND status IN ${HOLDS_STORAGE} AND id IS DISTINCT FROM $2::uuid), 0)
       + COALESCE((SELECT sum(o.size) FROM upload_outputs o JOIN uploads u ON u.id = o.upload_id AND o.generation = u.generation
                   WHERE u.tenant_id = $1 AND u.status IN ${HOLDS_STORAGE} AND u.id IS DISTINCT FROM $2::uuid), 0) AS used`,
      [tenantId, excluding ?? null],
    );
    return Number(rows[0]?.used ?? 0);
  }

  /** The limits verify checks the bytes against: the tenant's policy now and the creating token's types. */
  async limitsFor(uploadId: string): Promise<{ policy: TenantPolicy; tokenAllowedTypes: string[] | null }> {
    const rows: Array<{ policy: TenantPolicy; allowed_types: string[] | null }> = await this.dataSource.query(
      `SELECT t.policy, ut.allowed_types FROM uploads u JOIN tenants t ON t.id = u.tenant_id
       LEFT JOIN upload_tokens ut ON ut.id = u.token_id WHERE u.id = $1`,
      [uploadId],
    );
    if (!rows[0]) throw new Error(`upload ${uploadId} does not exist`);
    return { policy: rows[0].policy ?? {}, tokenAllowedTypes: rows[0].allowed_types };
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

  /** The outputs the upload serves, or with `generation`, that generation's (a rerun's own). */
  listOutputs(uploadId: string, generation?: number): Promise<UploadOutput[]> {
    const qb = this.outputs.createQueryBuilder('o').innerJoin(Upload, 'u', 'u.id = o.upload_id').where('o.upload_id = :uploadId', { uploadId });
    if (generation === undefined) qb.andWhere(SERVED);
    else qb.andWhere('o.generation = :generation', { generation });
    return qb.orderBy('o.name', 'ASC').getMany();
  }

  /** awaiting_upload -> processing; returns false when the upload had already left that state. */
  async markProcessing(id: string): Promise<boolean> {
    const result = await this.uploads.update({ id, status: 'awaiting_upload' }, { status: 'processing', completedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  /** Stage changes only move a non-terminal upload; a late retry cannot resurrect a finished one. */
  async setStage(id: string, stage: UploadStage, progress = 0): Promise<void> {
    await this.uploads.update(
      { id, status: In(['awaiting_upload', 'processing']) },
      { status: 'processing', stage, progress, completedAt: () => 'COALESCE(completed_at, now())' },
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
      `WITH old AS (SELECT object_key FROM upload_outputs WHERE upload_id = $1 AND generation = $2 AND name = $3),
       ins AS (
         INSERT INTO upload_outputs (upload_id, generation, name, object_key, content_type, size, width, height)
         SELECT u.id, $2, $3, $4, $5, $6, $7, $8 FROM uploads u WHERE u.id = $1 AND ${OPEN_GENERATION}
         ON CONFLICT (upload_id, generation, name) DO UPDATE SET object_key = EXCLUDED.object_key,
           content_type = EXCLUDED.content_type, size = EXCLUDED.size, width = EXCLUDED.width, height = EXCLUDED.height
         RETURNING id)
       SELECT (SELECT count(*) FROM ins) AS written, (SELECT object_key FROM old) AS replaced`,
      [uploadId, output.generation ?? 0, output.name, output.objectKey, output.contentType, output.size, output.width, output.height],
    );
    const written = Number(rows[0]?.written ?? 0) > 0;
    return { written, replacedKey: written ? (rows[0]?.replaced ?? null) : null };
  }

  /** A rejected upload (or a failed one, on deletion) keeps no outputs. */
  async deleteOutputs(uploadId: string): Promise<void> {
    await this.outputs.delete({ uploadId });
    // A segmented transcode's pieces are part of the `hls` output.
    await this.dataSource.query(`DELETE FROM video_pieces WHERE upload_id = $1`, [uploadId]);
  }

  /**
   * The upload is deleted: terminal, holds no quota, fences output writes. Idempotent; the first
   * deletion's time stays as updatedAt.
   */
  async markDeleted(id: string): Promise<void> {
    await this.uploads.update({ id, status: Not('deleted') }, { status: 'deleted', stage: 'done' });
  }

  /**
   * A page of a tenant's uploads, newest first, after `after` (the last row of the previous page).
   */
  async listPage(
    tenantId: string,
    options: { status?: UploadStatus; after?: UploadPosition; limit: number },
  ): Promise<Array<{ upload: Upload; position: UploadPosition }>> {
    const qb = this.uploads
      .createQueryBuilder('u')
      .addSelect(positionAt('u.created_at'), 'position_at')
      .where('u.tenant_id = :tenantId', { tenantId });
    if (options.status) qb.andWhere('u.status = :status', { status: options.status });
    if (options.after) {
      qb.andWhere('(u.created_at, u.id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))', options.after);
    }
    const { entities, raw } = await qb.orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').limit(options.limit).getRawAndEntities();
    const at = new Map(raw.map((r: { u_id: string; position_at: string }) => [r.u_id, r.position_at]));
    return entities.map((upload) => ({ upload, position: { at: at.get(upload.id)!, id: upload.id } }));
  }

  /** Outputs of several uploads in one query, by upload id. */
  async listOutputsOf(uploadIds: string[]): Promise<Map<string, UploadOutput[]>> {
    const byUpload = new Map<string, UploadOutput[]>(uploadIds.map((id) => [id, []]));
    if (!uploadIds.length) return byUpload;
    const rows = await this.outputs
      .createQueryBuilder('o')
      .innerJoin(Upload, 'u', 'u.id = o.upload_id')
      .where('o.upload_id IN (:...uploadIds)', { uploadIds })
      .andWhere(SERVED)
      .orderBy('o.name', 'ASC')
      .getMany();
    for (const row of rows) byUpload.get(row.uploadId)?.push(row);
    return byUpload;
  }

  async finish(
    id: string,
    status: Extract<UploadStatus, 'ready' | 'rejected' | 'failed' | 'expired'>,
    error: { code: string; message: string } | null,
  ): Promise<void> {
    // A deleted upload stays deleted, whatever its cancelled workflow records on the way out.
    await this.uploads.update(
      { id, status: Not('deleted') },
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
