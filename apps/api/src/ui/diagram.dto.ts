import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { AT_REVISION } from '../http/query.dto.js';
import type { Direction } from './diagram.js';

export class DiagramDto {
  @ApiPropertyOptional({
    enum: ['right', 'down'],
    default: 'right',
    description: 'Arcs run left to right, or top to bottom (for narrow screens)',
  })
  @IsOptional()
  @IsIn(['right', 'down'])
  direction?: Direction;
}

export class CaseDiagramDto extends DiagramDto {
  @ApiPropertyOptional(AT_REVISION)
  @IsOptional()
  @Matches(/^[0-9]{1,20}$/, { message: 'atRevision must be a revision (a decimal string)' })
  atRevision?: string;
}
