import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import type { JsonValue } from '@wfnet/domain';
import { IsJson } from '../http/json.js';
import {
  AT_REVISION,
  EmptyAsAbsent,
  IsRevision,
  MAX_REVISION,
  PageDto,
  WaitForDto,
} from '../http/query.dto.js';

export class CreateCaseDto {
  @ApiProperty({ example: 'traffic-light' })
  @IsString()
  workflowId!: string;

  @ApiPropertyOptional({ description: 'Made by the server (a UUID) when absent' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional({ description: 'The payload of the genesis token (any JSON); {} when absent' })
  @IsOptional()
  @IsJson()
  data?: JsonValue;
}

export class ListCasesDto extends PageDto {
  @ApiPropertyOptional()
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  workflowId?: string;

  @ApiPropertyOptional({ enum: ['created', 'active', 'finished', 'terminated'] })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(['created', 'active', 'finished', 'terminated'])
  state?: 'created' | 'active' | 'finished' | 'terminated';

  @ApiPropertyOptional({
    enum: ['asc', 'desc'],
    default: 'asc',
    description:
      '`desc`: newest first. A cursor belongs to its order: `next` of one order is refused by the other',
  })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      '`true`: the answer carries `total`, how many cases match workflowId and state, counted on the read model’s index (not by paging)',
  })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(['true', 'false'])
  total?: 'true' | 'false';
}

export class TokenTableDto extends WaitForDto {
  @ApiPropertyOptional({
    description:
      'The cursor of the `Link: <…>; rel="next"` header of the previous page of a large token table',
  })
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  after?: string;
}

export class HistoryDto {
  @ApiPropertyOptional({ description: 'First revision to answer (0-based)' })
  @EmptyAsAbsent()
  @IsOptional()
  @IsRevision('fromRevision')
  fromRevision?: string;

  @ApiPropertyOptional({
    description:
      'The cursor of the `Link: <…>; rel="next"` header of the previous page: the revision of its last event, to answer from the one after it',
  })
  @EmptyAsAbsent()
  @IsOptional()
  // The page after it starts at the next revision, which must be one too.
  @IsRevision('after', MAX_REVISION - 1n)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1000 })
  @EmptyAsAbsent()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class GetCaseDto extends WaitForDto {
  @ApiPropertyOptional(AT_REVISION)
  @EmptyAsAbsent()
  @IsOptional()
  @IsRevision('atRevision')
  atRevision?: string;
}
