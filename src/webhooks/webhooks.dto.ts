import { applyDecorators } from '@nestjs/common';
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
    IsOptional(),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(WEBHOOK_EVENT_TYPES.length),
    ArrayUnique(),
    IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `events must hold event types: ${WEBHOOK_EVENT_TYPES.join(', ')}` }),
  );

export class CreateEndpointDto {
  /** Checked by WebhookUrlCheck (scheme, credentials, address): INVALID_WEBHOOK_URL. */
  @IsString()
  @Length(1, 2048)
  url!: string;

  /** Event types to receive; left out (or null): every type, including ones added later. */
  @IsEventFilter()
  events?: string[] | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

/** Fields that may be left out but not set to null (IsOptional alone would let null through). */
const unlessAbsent = ValidateIf((_dto, value) => value !== undefined);

export class UpdateEndpointDto {
  @unlessAbsent
  @IsString()
  @Length(1, 2048)
  url?: string;

  /** null: every event type again. */
  @IsEventFilter()
  events?: string[] | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @unlessAbsent
  @IsBoolean()
  enabled?: boolean;
}

export class ListDeliveriesQuery extends PageQuery {
  @IsOptional()
  @IsUUID()
  endpointId?: string;

  @IsOptional()
  @IsUUID()
  uploadId?: string;

  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}
