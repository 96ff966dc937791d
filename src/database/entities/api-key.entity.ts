import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A tenant's server-side credential. Several per tenant, named, revocable; only the hash is kept. */
@Entity('api_keys')
@Index(['tenantId', 'createdAt'])
export class ApiKey {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  name!: string;

  /** sha256 of the key: keys are 256-bit random, so a fast hash is enough and lookups stay indexed. */
  @Column('text', { name: 'key_hash', unique: true })
  keyHash!: string;

  /** The first characters of the key (`ik_AbCd`), so a tenant can tell its keys apart in a list. */
  @Column('text')
  prefix!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Updated at most once a minute per key (see ApiKeyStore.touch). */
  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
