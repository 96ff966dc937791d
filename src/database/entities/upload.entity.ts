import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn, ValueTransformer } from 'typeorm';

export const UPLOAD_STATUSES = ['awaiting_upload', 'processing', 'ready', 'rejected', 'failed', 'expired'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<UploadStatus> = new Set(['ready', 'rejected', 'failed', 'expired']);

export type UploadStage =
  | 'awaiting_upload'
  | 'verifying'
  | 'scanning'
  | 'extracting_metadata'
  | 'processing'
  | 'thumbnailing'
  | 'finalizing'
  | 'done';

export type MediaKind = 'image' | 'video' | 'audio' | 'document';

/** pg returns bigint as string; sizes stay below 2^53 so number is exact. */
export const bigintAsNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

@Entity('uploads')
@Index(['tenantId', 'createdAt'])
export class Upload {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  filename!: string;

  @Column('text', { name: 'content_type' })
  contentType!: string;

  @Column('bigint', { transformer: bigintAsNumber })
  size!: number;

  /** The ETag of the incoming object when the client declared it complete: the version verify copies. */
  @Column('text', { name: 'source_etag', nullable: true })
  sourceEtag!: string | null;

  /** SHA-256 (hex) of the original, set once its bytes were scanned clean. */
  @Column('text', { nullable: true })
  sha256!: string | null;

  @Column('text')
  status!: UploadStatus;

  @Column('text')
  stage!: UploadStage;

  @Column('smallint', { default: 0 })
  progress!: number;

  @Column('text', { nullable: true })
  kind!: MediaKind | null;

  @Column('text', { name: 'detected_type', nullable: true })
  detectedType!: string | null;

  @Column('jsonb', { nullable: true })
  metadata!: Record<string, unknown> | null;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode!: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage!: string | null;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
