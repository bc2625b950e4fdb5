import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  registerDecorator,
} from 'class-validator';
import { DEFAULT_JOIN_TYPE, DEFAULT_SPLIT_TYPE, joinTypes, splitTypes } from '@wfnet/domain';
import type { Assignment, JoinType, JsonValue, SplitType } from '@wfnet/domain';
import { durationProblem } from '../clock/timing.js';
import { ListOf, OneOf } from '../http/dto-shape.js';
import { IsJson, IsJsonObject } from '../http/json.js';
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

/** Optional, but not null: a null would reach the definition as a value of the wrong kind. */
const UnlessAbsent = () => ValidateIf((_, value) => value !== undefined);

/** The longest condition source, in characters; the condition language also bounds its bytes. */
export const MAX_CONDITION_LENGTH = 1024;

/** An ISO 8601 duration the engine takes (see `durationProblem`); the message says what is wrong with it. */
function IsDuration() {
  return (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isDuration',
      target: target.constructor,
      propertyName,
      options: {
        message: ({ value }) => `${propertyName}: ${durationProblem(value) ?? 'not a duration'}`,
      },
      validator: { validate: (value: unknown) => durationProblem(value) === undefined },
    });
  };
}

/** The most error types a retry policy may list as not retryable, and the longest such type. */
export const MAX_NON_RETRYABLE_TYPES = 100;
export const MAX_ERROR_TYPE_LENGTH = 200;

export class TimeoutsDto {
  @ApiPropertyOptional({
    example: 'PT1H',
    description: 'From created until started or completed; running out is a failed attempt (type timeout)',
  })
  @UnlessAbsent()
  @IsDuration()
  scheduleToStart?: string;

  @ApiPropertyOptional({
    example: 'PT10M',
    description: 'One attempt, from started; running out is a failed attempt (type timeout)',
  })
  @UnlessAbsent()
  @IsDuration()
  startToClose?: string;

  @ApiPropertyOptional({
    example: 'P1D',
    description: 'From created until completed, across attempts; running out raises a timeout incident',
  })
  @UnlessAbsent()
  @IsDuration()
  scheduleToClose?: string;
}

export class RetryPolicyDto {
  @ApiPropertyOptional({ example: 'PT1S', default: 'PT1S', description: 'The wait before the first retry' })
  @UnlessAbsent()
  @IsDuration()
  initialInterval?: string;

  @ApiPropertyOptional({
    example: 2,
    default: 2,
    minimum: 1,
    description: 'Each wait is this times the last',
  })
  @UnlessAbsent()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(1000)
  backoffCoefficient?: number;

  @ApiPropertyOptional({ example: 'PT5M', default: 'PT5M', description: 'The longest wait' })
  @UnlessAbsent()
  @IsDuration()
  maximumInterval?: string;

  @ApiPropertyOptional({
    example: 10,
    default: 10,
    minimum: 0,
    description: 'Attempts in all, the first included; 0: no limit',
  })
  @UnlessAbsent()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maximumAttempts?: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'Error types that raise an incident at once, whatever their retryable says',
  })
  @UnlessAbsent()
  @IsArray()
  // Its items reach the pipe set aside (see `shapeForValidation`): the controller checks them.
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

  @ApiPropertyOptional({
    type: TimeoutsDto,
    description: "ISO 8601 durations bounding its workitems (Temporal's)",
  })
  @UnlessAbsent()
  @OneOf(() => TimeoutsDto)
  timeouts?: TimeoutsDto;

  @ApiPropertyOptional({
    type: RetryPolicyDto,
    description: 'How failed attempts of its workitems are retried; each field defaults as shown',
  })
  @UnlessAbsent()
  @OneOf(() => RetryPolicyDto)
  retry?: RetryPolicyDto;

  // The people and form members are taken as any JSON here, whatever their types say: the domain's net
  // rules check them (invalid_net, naming the rule), as they check a definition however it arrives.
  @ApiPropertyOptional({
    type: 'object',
    properties: {
      candidateGroups: { type: 'array', items: { type: 'string' } },
      candidateUsers: { type: 'array', items: { type: 'string' } },
      assignee: { type: 'string', example: 'case.requester' },
    },
    description:
      'Who may work its workitems: members of `candidateGroups`, the `candidateUsers`, or the user the CEL expression `assignee` gives (over `case` and `inputs`, evaluated when the workitem is created). Absent: anyone who may complete workitems.',
  })
  @UnlessAbsent()
  @IsJson()
  assignment?: Assignment;

  @ApiPropertyOptional({
    type: [String],
    example: ['submit'],
    description:
      'Four eyes: a user who completed a workitem of one of these transitions in the case may not complete this one (403 separation_of_duties)',
  })
  @UnlessAbsent()
  @IsJson()
  separateFrom?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } },
    description:
      "A JSON Schema (2020-12; formats such as date, date-time and email checked) that the output of a completion must satisfy, else 400 validation_failed with a detail per violation at `/output/...`. At most 16 KiB of JSON, 64 KiB for all of a workflow's.",
  })
  @UnlessAbsent()
  @IsJson()
  outputSchema?: { [key: string]: JsonValue };
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
    description: "An ISO 8601 duration from a case's creation after which it is terminated (reason timeout)",
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
