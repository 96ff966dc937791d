import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn, ValueTransformer } from 'typeorm';

export const UPLOAD_STATUSES = ['awaiting_upload', 'processing', 'ready', 'rejected', 'failed', 'expired', 'deleted'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<UploadStatus> = new Set(['ready', 'rejected', 'failed', 'expired', 'deleted']);

/**
 * How the bytes reach storage. `put`, `post` and `multipart` go straight to S3; `tus` streams
 * through the API. Uppy's routes create `post` and `multipart` uploads without a declared size.
 */
export const UPLOAD_MODES = ['put', 'post', 'multipart', 'tus'] as const;
export type UploadMode = (typeof UPLOAD_MODES)[number];

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

/** The output set an activity writes into: the one a reprocess builds, else the current one. */
export const buildingGeneration = (upload: Pick<Upload, 'generation' | 'nextGeneration'>): number => upload.nextGeneration ?? upload.generation;

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

  /** Declared size; null until the bytes arrive for modes that declare none (Uppy, tus deferred length). */
  @Column('bigint', { nullable: true, transformer: bigintAsNumber })
  size!: number | null;

  /** The most bytes this upload may have: the smallest of the platform's, the tenant's and the token's limits. */
  @Column('bigint', { name: 'max_size', transformer: bigintAsNumber })
  maxSize!: number;

  @Column('text', { default: 'put' })
  mode!: UploadMode;

  /** The upload token that created it (tokens may only see their own uploads); null for API keys. */
  @Column('uuid', { name: 'token_id', nullable: true })
  tokenId!: string | null;

  /** S3 multipart upload id (mode multipart) while the parts are being uploaded. */
  @Column('text', { name: 'multipart_upload_id', nullable: true })
  multipartUploadId!: string | null;

  /** Part size Intake chose (mode multipart with a declared size); null when the client chooses. */
  @Column('bigint', { name: 'part_size', nullable: true, transformer: bigintAsNumber })
  partSize!: number | null;

  /** Key/value strings from the client and the upload token (the token's win); echoed in the view and webhooks. */
  @Column('jsonb', { name: 'client_metadata', nullable: true })
  clientMetadata!: Record<string, string> | null;

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

  /** The output set served (or, while processing, being built); a retry moves the kept outputs to a new one. */
  @Column('integer', { default: 0 })
  generation!: number;

  /** The output set a reprocess is building while `generation` stays served; null otherwise. */
  @Column('integer', { name: 'next_generation', nullable: true })
  nextGeneration!: number | null;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode!: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage!: string | null;

  /** When the bytes were complete (it left awaiting_upload); null before. */
  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt!: Date | null;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
