import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export class CreateUploadDto {
  @IsString()
  @Length(1, 255)
  filename!: string;

  @IsString()
  @Length(3, 255)
  contentType!: string;

  @IsInt()
  @Min(1, { message: 'size must be at least 1 byte' })
  size!: number;

  /** How long the upload URL (and the upload window) stays open; defaults to UPLOAD_URL_TTL_SECONDS. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(604_800)
  expiresInSeconds?: number;
}

export interface CreatedUpload {
  id: string;
  status: 'awaiting_upload';
  upload: { method: 'PUT'; url: string; headers: Record<string, string> };
  expiresAt: string;
}

export interface CompletedUpload {
  id: string;
  status: string;
}
