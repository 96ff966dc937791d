import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

/** `cursor` and `limit` of every newest-first listing (keyset pages, see keyset-cursor.ts). */
export class PageQuery {
  /** nextCursor of the previous page, as given. */
  @ApiPropertyOptional({ maxLength: 200, description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: LIST_MAX_LIMIT, description: `Default: ${LIST_DEFAULT_LIMIT}.` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIST_MAX_LIMIT)
  limit?: number;
}
