import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { MULTIPART_LIMITS } from '../../storage/multipart';
import { MAX_PARTS_PER_CALL } from './multipart';

// An ETag is a quoted hex digest (with -N for multipart objects); anything else cannot name a part.
const ETAG = /^"?[A-Za-z0-9-]{1,128}"?$/;

/** POST /v1/uploads/:id/parts */
export class SignPartsDto {
  @ApiProperty({ type: 'integer', isArray: true, minItems: 1, maxItems: MAX_PARTS_PER_CALL, minimum: 1, maximum: MULTIPART_LIMITS.maxParts, example: [1, 2, 3] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PARTS_PER_CALL)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MULTIPART_LIMITS.maxParts, { each: true })
  partNumbers!: number[];
}

export class CompletedPartDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MULTIPART_LIMITS.maxParts })
  @IsInt()
  @Min(1)
  @Max(MULTIPART_LIMITS.maxParts)
  partNumber!: number;

  @ApiProperty({ maxLength: 130, description: 'The ETag storage answered for the part.', example: '"9b2cf535f27731c974343645a3985328"' })
  @IsString()
  @MaxLength(130)
  @Matches(ETAG, { message: 'etag must be the ETag storage answered for the part' })
  etag!: string;
}

/** POST /v1/uploads/:id/complete: multipart uploads may name their parts; without a list Intake lists them. */
export class CompleteUploadDto {
  @ApiPropertyOptional({ type: () => CompletedPartDto, isArray: true, minItems: 1, maxItems: MULTIPART_LIMITS.maxParts })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MULTIPART_LIMITS.maxParts)
  @ValidateNested({ each: true })
  @Type(() => CompletedPartDto)
  parts?: CompletedPartDto[];
}
