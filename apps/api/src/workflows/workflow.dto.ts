import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString } from 'class-validator';
import { DEFAULT_JOIN_TYPE, DEFAULT_SPLIT_TYPE, joinTypes, splitTypes } from '@wfnet/domain';
import type { JoinType, JsonValue, SplitType } from '@wfnet/domain';
import { ListOf } from '../http/dto-shape.js';
import { IsJsonObject } from '../http/json.js';
import { PageDto } from '../http/query.dto.js';

export class PlaceDto {
  @ApiProperty({ example: 'start' })
  @IsString()
  id!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ enum: ['start', 'normal', 'end'], default: 'normal' })
  @IsOptional()
  @IsIn(['start', 'normal', 'end'])
  type?: 'start' | 'normal' | 'end';
}

export class TransitionDto {
  @ApiProperty({ example: 'review' })
  @IsString()
  id!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;

  @ApiProperty({
    example: 'manual',
    description: 'A registered executor: auto, manual, webhook, or one the application adds',
  })
  @IsString()
  executor!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsJsonObject()
  executorParams?: { [key: string]: JsonValue };

  @ApiPropertyOptional({ enum: joinTypes, default: DEFAULT_JOIN_TYPE })
  @IsOptional()
  @IsIn(joinTypes)
  joinType?: JoinType;

  @ApiPropertyOptional({ enum: splitTypes, default: DEFAULT_SPLIT_TYPE })
  @IsOptional()
  @IsIn(splitTypes)
  splitType?: SplitType;
}

export class ArcDto {
  @ApiProperty({ example: 'start' })
  @IsString()
  from!: string;

  @ApiProperty({ example: 'review' })
  @IsString()
  to!: string;
}

export class CreateWorkflowDto {
  @ApiPropertyOptional({ description: 'Made by the server (a UUID) when absent' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;

  @ApiProperty({ type: [PlaceDto] })
  @ListOf(() => PlaceDto)
  places!: PlaceDto[];

  @ApiProperty({ type: [TransitionDto] })
  @ListOf(() => TransitionDto)
  transitions!: TransitionDto[];

  @ApiProperty({ type: [ArcDto] })
  @ListOf(() => ArcDto)
  arcs!: ArcDto[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsJsonObject()
  metadata?: { [key: string]: JsonValue };

  @ApiPropertyOptional({ description: 'Store the workflow even if the soundness check finds problems' })
  @IsOptional()
  @IsBoolean()
  allowUnsound?: boolean;
}

export class ListWorkflowsDto extends PageDto {}
