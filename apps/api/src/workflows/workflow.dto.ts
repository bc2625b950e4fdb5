import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { DEFAULT_JOIN_TYPE, DEFAULT_SPLIT_TYPE, joinTypes, splitTypes } from '@wfnet/domain';
import type { JoinType, JsonValue, SplitType } from '@wfnet/domain';
import { ListOf, OneOf } from '../http/dto-shape.js';
import { IsJsonObject } from '../http/json.js';
import { PageDto } from '../http/query.dto.js';
import { durationProblem } from '../clock/timing.js';

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

/** Optional, but not null: a null would reach the definition as a value of the wrong kind. */
const UnlessAbsent = () => ValidateIf((_, value) => value !== undefined);

/** The longest condition source, in characters; the condition language also bounds its bytes. */
export const MAX_CONDITION_LENGTH = 1024;

/** An ISO 8601 duration the service takes (`PT1H`, `P30D`; not negative, at most a century). */
const IsDuration = () =>
  ValidateBy({
    name: 'isDuration',
    validator: {
      validate: (value: unknown) => durationProblem(value) === undefined,
      defaultMessage: (args) => `${args?.property ?? 'the value'}: ${durationProblem(args?.value) ?? ''}`,
    },
  });

export class TimeoutsDto {
  @ApiPropertyOptional({
    example: 'PT1H',
    description: 'Created until started or completed: a failed attempt',
  })
  @UnlessAbsent()
  @IsDuration()
  scheduleToStart?: string;

  @ApiPropertyOptional({ example: 'PT10M', description: 'One attempt, from started: a failed attempt' })
  @UnlessAbsent()
  @IsDuration()
  startToClose?: string;

  @ApiPropertyOptional({ example: 'P1D', description: 'Created until completed: a timeout incident' })
  @UnlessAbsent()
  @IsDuration()
  scheduleToClose?: string;
}

export class RetryPolicyDto {
  @ApiPropertyOptional({ example: 'PT1S', default: 'PT1S' })
  @UnlessAbsent()
  @IsDuration()
  initialInterval?: string;

  @ApiPropertyOptional({ example: 2, default: 2 })
  @UnlessAbsent()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(100)
  backoffCoefficient?: number;

  @ApiPropertyOptional({ example: 'PT5M', default: 'PT5M' })
  @UnlessAbsent()
  @IsDuration()
  maximumInterval?: string;

  @ApiPropertyOptional({
    example: 10,
    default: 10,
    description: 'Attempts in all, the first included; 0: no limit',
  })
  @UnlessAbsent()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maximumAttempts?: number;

  @ApiPropertyOptional({ type: [String], description: 'Error types that raise an incident at once' })
  @UnlessAbsent()
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  nonRetryableErrorTypes?: string[];
}

export class OrJoinDto {
  @ApiProperty({ example: 'assess', description: 'The id of the or split whose block this join closes' })
  @IsString()
  split!: string;
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

  @ApiPropertyOptional({
    enum: joinTypes,
    default: DEFAULT_JOIN_TYPE,
    description: '`or` waits for exactly the branches its paired or split chose (see `orJoin`)',
  })
  @IsOptional()
  @IsIn(joinTypes)
  joinType?: JoinType;

  @ApiPropertyOptional({
    enum: splitTypes,
    default: DEFAULT_SPLIT_TYPE,
    description:
      '`xor`: the first output arc whose condition holds, else the default; `or`: every one that holds, the default only when none does',
  })
  @IsOptional()
  @IsIn(splitTypes)
  splitType?: SplitType;

  @ApiPropertyOptional({ type: OrJoinDto, description: 'For `joinType: "or"`: the or split it pairs with' })
  @UnlessAbsent()
  @OneOf(() => OrJoinDto)
  orJoin?: OrJoinDto;

  @ApiPropertyOptional({ type: TimeoutsDto, description: 'Bounds on its workitems (Temporal’s timeouts)' })
  @UnlessAbsent()
  @OneOf(() => TimeoutsDto)
  timeouts?: TimeoutsDto;

  @ApiPropertyOptional({
    type: RetryPolicyDto,
    description: 'How its workitems’ failed attempts are retried',
  })
  @UnlessAbsent()
  @OneOf(() => RetryPolicyDto)
  retry?: RetryPolicyDto;
}

export class ArcDto {
  @ApiProperty({ example: 'start' })
  @IsString()
  from!: string;

  @ApiProperty({ example: 'review' })
  @IsString()
  to!: string;

  @ApiPropertyOptional({
    maxLength: MAX_CONDITION_LENGTH,
    example: 'case.amount > 10000',
    description:
      'On an output arc of an xor or or split: a CEL expression giving a bool, over `case`, `output`, `inputs`, `payload` and `now`',
  })
  @UnlessAbsent()
  @IsString()
  @MaxLength(MAX_CONDITION_LENGTH)
  condition?: string;

  @ApiPropertyOptional({
    description:
      'On the one output arc of an xor or or split taken when no condition holds; it has no condition',
  })
  @UnlessAbsent()
  @IsBoolean()
  default?: boolean;
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

  @ApiPropertyOptional({
    example: 'P30D',
    description: 'The case is terminated (reason timeout) when it runs out',
  })
  @UnlessAbsent()
  @IsDuration()
  caseTimeout?: string;

  @ApiPropertyOptional({ description: 'Store the workflow even if the soundness check finds problems' })
  @IsOptional()
  @IsBoolean()
  allowUnsound?: boolean;
}

export class ListWorkflowsDto extends PageDto {}
