import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { Tenant } from '../database/entities/tenant.entity';
import { UploadToken } from '../database/entities/upload-token.entity';
import { generateUploadToken, hashSecret } from './credentials';

export type NewUploadToken = Pick<UploadToken, 'tenantId' | 'expiresAt' | 'maxUploads' | 'maxFileSize' | 'allowedTypes' | 'metadata'>;

@Injectable()
export class UploadTokenStore {
  private readonly tokens: Repository<UploadToken>;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.tokens = dataSource.getRepository(UploadToken);
  }

  async create(token: NewUploadToken): Promise<{ token: UploadToken; secret: string }> {
    const secret = generateUploadToken();
    const saved = await this.tokens.save(
      this.tokens.create({ ...token, id: randomUUID(), tokenHash: hashSecret(secret), uploadsCreated: 0 }),
    );
    return { token: saved, secret };
  }

  /** The unexpired token with this hash and its tenant. */
  async findActive(tokenHash: string): Promise<{ token: UploadToken; tenant: Tenant } | null> {
    const token = await this.tokens.findOneBy({ tokenHash });
    if (!token || token.expiresAt.getTime() <= Date.now()) return null;
    const tenant = await this.dataSource.getRepository(Tenant).findOneBy({ id: token.tenantId });
    return tenant ? { token, tenant } : null;
  }

  /** Ends a token now (it is refused from the next request on); false when there is no live one. */
  async revoke(tenantId: string, id: string): Promise<boolean> {
    const result = await this.tokens
      .createQueryBuilder()
      .update()
      .set({ expiresAt: () => 'now()' })
      .where('id = :id AND tenant_id = :tenantId', { id, tenantId })
      .andWhere('expires_at > now()')
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Counts one more upload against the token, atomically: false when it is used up (or expired),
   * so concurrent creations can never exceed maxUploads.
   */
  async reserveUpload(id: string): Promise<boolean> {
    const result = await this.tokens
      .createQueryBuilder()
      .update()
      .set({ uploadsCreated: () => 'uploads_created + 1' })
      .where('id = :id', { id })
      .andWhere('expires_at > now()')
      .andWhere('(max_uploads IS NULL OR uploads_created < max_uploads)')
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Gives a reservation back when the upload could not be created after all. */
  async releaseUpload(id: string): Promise<void> {
    await this.tokens
      .createQueryBuilder()
      .update()
      .set({ uploadsCreated: () => 'GREATEST(uploads_created - 1, 0)' })
      .where('id = :id', { id })
      .execute();
  }
}
