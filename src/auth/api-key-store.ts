import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiKey } from '../database/entities/api-key.entity';
import { Tenant } from '../database/entities/tenant.entity';
import { displayPrefix, generateApiKey, hashSecret } from './credentials';

/** lastUsedAt is a hint for humans ("is this key still in use?"): one write a minute per key is plenty. */
const TOUCH_INTERVAL = '1 minute';

@Injectable()
export class ApiKeyStore {
  private readonly keys: Repository<ApiKey>;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.keys = dataSource.getRepository(ApiKey);
  }

  /** Creates a key; the secret is returned once and only its hash is kept. */
  async create(tenantId: string, name: string): Promise<{ key: ApiKey; secret: string }> {
    const secret = generateApiKey();
    const key = await this.keys.save(
      this.keys.create({
        id: randomUUID(),
        tenantId,
        name,
        keyHash: hashSecret(secret),
        prefix: displayPrefix(secret),
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    return { key, secret };
  }

  list(tenantId: string): Promise<ApiKey[]> {
    return this.keys.find({ where: { tenantId, revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  /** Revokes at once: every API instance looks keys up on each request, nothing caches them. */
  async revoke(tenantId: string, id: string): Promise<boolean> {
    const result = await this.keys.update({ id, tenantId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  /** The live key with this hash and its tenant, in one round trip (every tenant request asks). */
  async findActive(keyHash: string): Promise<{ keyId: string; tenant: Tenant } | null> {
    const { entities, raw } = await this.dataSource
      .getRepository(Tenant)
      .createQueryBuilder('tenant')
      .innerJoin(ApiKey, 'key', 'key.tenant_id = tenant.id AND key.key_hash = :keyHash AND key.revoked_at IS NULL', { keyHash })
      .addSelect('key.id', 'key_id')
      .getRawAndEntities<{ key_id: string }>();
    return entities[0] && raw[0] ? { keyId: raw[0].key_id, tenant: entities[0] } : null;
  }

  /** Records use, at most once per TOUCH_INTERVAL per key. */
  async touch(id: string): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where('id = :id', { id })
      .andWhere(`(last_used_at IS NULL OR last_used_at < now() - interval '${TOUCH_INTERVAL}')`)
      .execute();
  }
}
