import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { Tenant } from '../database/entities/tenant.entity';
import type { TenantPolicy } from './tenant-policy';

@Injectable()
export class TenantStore {
  private readonly tenants: Repository<Tenant>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.tenants = dataSource.getRepository(Tenant);
  }

  create(tenant: Omit<Tenant, 'createdAt' | 'policy'> & { policy?: TenantPolicy }): Promise<Tenant> {
    return this.tenants.save(this.tenants.create({ policy: {}, ...tenant }));
  }

  findById(id: string): Promise<Tenant | null> {
    return this.tenants.findOneBy({ id });
  }

  /** Replaces the policy as a whole (the operator sends the complete policy); null when no such tenant. */
  async setPolicy(id: string, policy: TenantPolicy): Promise<Tenant | null> {
    const result = await this.tenants.update({ id }, { policy: policy as never });
    return (result.affected ?? 0) > 0 ? this.findById(id) : null;
  }
}
