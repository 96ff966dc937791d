import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { MULTIPART_LIMITS } from '../../storage/multipart';
import { MAX_PARTS_PER_CALL } from './multipart';

// An ETag is a quoted hex digest (with -N for multipart objects); anything else cannot name a part.
const ETAG = /^"?[A-Za-z0-9-]{1,128}"?$/;

/** POST /v1/uploads/:id/parts */
export class SignPartsDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PARTS_PER_CALL)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MULTIPART_LIMITS.maxParts, { each: true })
  partNumbers!: number[];
}

export class CompletedPartDto {
  @IsInt()
  @Min(1)
  @Max(MULTIPART_LIMITS.maxParts)
  partNumber!: number;

  @IsString()
  @MaxLength(130)
  @Matches(ETAG, { message: 'etag must be the ETag storage answered for the part' })
  etag!: string;
}

/** POST /v1/uploads/:id/complete: multipart uploads may name their parts; without a list Intake lists them. */
export class CompleteUploadDto {
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MULTIPART_LIMITS.maxParts)
  @ValidateNested({ each: true })
  @Type(() => CompletedPartDto)
  parts?: CompletedPartDto[];
}
