import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { TenantPolicy } from '../../tenants/tenant-policy';

@Entity('tenants')
export class Tenant {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** Set by the operator (PATCH /v1/admin/tenants/:id); {} means the platform's defaults. */
  @Column('jsonb', { default: {} })
  policy!: TenantPolicy;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
