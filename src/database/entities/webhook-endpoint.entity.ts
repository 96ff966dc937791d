import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Why an endpoint stopped receiving: its owner turned it off, or it answered 410 Gone. */
export type DisabledReason = 'disabled_by_tenant' | 'gone';

/** Where a tenant receives webhooks. Several per tenant; each signs with its own secret. */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  url!: string;

  @Column('text', { nullable: true })
  description!: string | null;

  /** Event types this endpoint receives; null: all of them. */
  @Column('text', { array: true, nullable: true })
  events!: string[] | null;

  @Column('boolean', { default: true })
  enabled!: boolean;

  @Column('text', { name: 'disabled_reason', nullable: true })
  disabledReason!: DisabledReason | null;

  /** Set when a delivery ran out of attempts; cleared by the next success (or re-enabling). */
  @Column('timestamptz', { name: 'failing_since', nullable: true })
  failingSince!: Date | null;

  /** Standard Webhooks signing secret (whsec_…), needed in clear to sign. */
  @Column('text')
  secret!: string;

  /** The secret before the last rotation: deliveries carry its signature too until it expires. */
  @Column('text', { name: 'previous_secret', nullable: true })
  previousSecret!: string | null;

  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true })
  previousSecretExpiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
