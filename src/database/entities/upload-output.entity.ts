import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { bigintAsNumber } from './upload.entity';

/**
 * One row per named rendition and generation; (upload_id, generation, name) is unique so a retried
 * activity upserts. The upload serves the rows of its `generation`.
 */
@Entity('upload_outputs')
@Unique('upload_outputs_upload_generation_name', ['uploadId', 'generation', 'name'])
export class UploadOutput {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'upload_id' })
  uploadId!: string;

  @Column('text')
  name!: string;

  /** The output set this row belongs to (see Upload.generation). */
  @Column('integer', { default: 0 })
  generation!: number;

  @Column('text', { name: 'object_key' })
  objectKey!: string;

  @Column('text', { name: 'content_type' })
  contentType!: string;

  @Column('bigint', { transformer: bigintAsNumber })
  size!: number;

  @Column('integer', { nullable: true })
  width!: number | null;

  @Column('integer', { nullable: true })
  height!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
