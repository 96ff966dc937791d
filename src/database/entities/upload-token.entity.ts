import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './upload.entity';

/**
 * A browser-safe credential a tenant's backend mints for one end user: it may create uploads
 * within its own limits (and the tenant's policy) and read, resume or abort the uploads it created.
 */
@Entity('upload_tokens')
export class UploadToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text', { name: 'token_hash', unique: true })
  tokenHash!: string;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  /** null: no cap beyond the tenant's policy. */
  @Column('integer', { name: 'max_uploads', nullable: true })
  maxUploads!: number | null;

  /** Uploads created with this token so far (reserved atomically, see UploadTokenStore.reserveUpload). */
  @Column('integer', { name: 'uploads_created', default: 0 })
  uploadsCreated!: number;

  @Column('bigint', { name: 'max_file_size', nullable: true, transformer: bigintAsNumber })
  maxFileSize!: number | null;

  /** MIME patterns (`image/*`, `application/pdf`); null: whatever the tenant's policy allows. */
  @Column('text', { name: 'allowed_types', array: true, nullable: true })
  allowedTypes!: string[] | null;

  /** Set by the tenant's backend; attached to every upload made with the token (wins over the client's). */
  @Column('jsonb', { nullable: true })
  metadata!: Record<string, string> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
