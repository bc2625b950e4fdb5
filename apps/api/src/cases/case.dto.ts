import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import type { JsonValue } from '@wfnet/domain';
import { IsJson } from '../http/json.js';

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

export class CompleteWorkitemDto {
  @ApiPropertyOptional({ description: 'The workitem output (any JSON); null when absent' })
  @IsOptional()
  @IsJson()
  output?: JsonValue;
}
