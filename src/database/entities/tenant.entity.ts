import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('tenants')
export class Tenant {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** sha256 of the API key: keys are 256-bit random, so a fast hash is enough and lookups stay indexed. */
  @Column('text', { name: 'api_key_hash', unique: true })
  apiKeyHash!: string;

  @Column('text', { name: 'webhook_url', nullable: true })
  webhookUrl!: string | null;

  /** Standard Webhooks signing secret (whsec_...); needed in clear to sign. */
  @Column('text', { name: 'webhook_secret' })
  webhookSecret!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
