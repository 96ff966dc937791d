import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { TenantPolicy } from '../../tenants/tenant-policy';

@Entity('tenants')
export class Tenant {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text', { name: 'webhook_url', nullable: true })
  webhookUrl!: string | null;

  /** Standard Webhooks signing secret (whsec_...); needed in clear to sign. */
  @Column('text', { name: 'webhook_secret' })
  webhookSecret!: string;

  /** Set by the operator (PATCH /v1/admin/tenants/:id); {} means the platform's defaults. */
  @Column('jsonb', { default: {} })
  policy!: TenantPolicy;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
