import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/contract';
import { PageQuery } from '../common/page-query';
import { DELIVERY_STATUSES, DeliveryStatus } from './delivery-store';

/** An endpoint's `events`: absent or null (every type), or distinct known types. */
const IsEventFilter = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
      nullable: true,
      minItems: 1,
      uniqueItems: true,
      description: 'Event types to receive; absent or null: every type, including ones added later.',
    }),
    IsOptional(),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(WEBHOOK_EVENT_TYPES.length),
    ArrayUnique(),
    IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `events must hold event types: ${WEBHOOK_EVENT_TYPES.join(', ')}` }),
  );

export class CreateEndpointDto {
  /** Checked by WebhookUrlCheck (scheme, credentials, address): INVALID_WEBHOOK_URL. */
  @ApiProperty({ minLength: 1, maxLength: 2048, description: 'http(s), no credentials, a public address.', example: 'https://acme.example.com/hooks/intake' })
  @IsString()
  @Length(1, 2048)
  url!: string;

  /** Event types to receive; left out (or null): every type, including ones added later. */
  @IsEventFilter()
  events?: string[] | null;

  @ApiPropertyOptional({ type: 'string', maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

/** Fields that may be left out but not set to null (IsOptional alone would let null through). */
const unlessAbsent = ValidateIf((_dto, value) => value !== undefined);

export class UpdateEndpointDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 2048 })
  @unlessAbsent
  @IsString()
  @Length(1, 2048)
  url?: string;

  /** null: every event type again. */
  @IsEventFilter()
  events?: string[] | null;

  @ApiPropertyOptional({ type: 'string', maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ type: 'boolean' })
  @unlessAbsent
  @IsBoolean()
  enabled?: boolean;
}

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  endpointId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  uploadId?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}
