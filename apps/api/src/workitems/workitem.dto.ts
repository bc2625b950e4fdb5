import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { JsonValue } from '@wfnet/domain';
import { IsJson } from '../http/json.js';

export class CompleteWorkitemDto {
  @ApiPropertyOptional({ description: 'The workitem output (any JSON); null when absent' })
  @IsOptional()
  @IsJson()
  output?: JsonValue;
}
