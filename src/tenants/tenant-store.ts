import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { Tenant } from '../database/entities/tenant.entity';

@Injectable()
export class TenantStore {
  private readonly tenants: Repository<Tenant>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.tenants = dataSource.getRepository(Tenant);
  }

  create(tenant: Omit<Tenant, 'createdAt'>): Promise<Tenant> {
    return this.tenants.save(this.tenants.create(tenant));
  }

  findById(id: string): Promise<Tenant | null> {
    return this.tenants.findOneBy({ id });
  }

  findByApiKeyHash(apiKeyHash: string): Promise<Tenant | null> {
    return this.tenants.findOneBy({ apiKeyHash });
  }
}
