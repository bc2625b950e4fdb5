import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** One of the two: a move forward by a duration, or a time to stand at. */
export class MoveClockDto {
  @ApiPropertyOptional({ description: 'An ISO 8601 duration to move forward by', example: 'PT48H' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  advance?: string;

  @ApiPropertyOptional({ description: 'An ISO 8601 time to stand at', example: '2026-01-31T12:00:00Z' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  set?: string;
}
