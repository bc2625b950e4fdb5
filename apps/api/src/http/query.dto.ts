import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import type { Page } from '../reads/read-model.query.js';

/** `?state=` reads as no filter at all, as in the contract's `GET /cases?workflowId=&state=`. */
export const EmptyAsAbsent = () =>
  Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value));

/** Stream revisions are signed 64-bit integers in every store: the largest one there can be. */
export const MAX_REVISION = 2n ** 63n - 1n;

/** A revision as a decimal string, at most `max`. */
export const IsRevision = (name: string, max: bigint = MAX_REVISION) =>
  ValidateBy({
    name: 'isRevision',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && /^[0-9]{1,20}$/.test(value) && BigInt(value) <= max,
      defaultMessage: () => `${name} must be a revision (a decimal string of at most ${max})`,
    },
  });

export class WaitForDto {
  @ApiPropertyOptional({
    description: 'Answer once the read models have reached this position (at most 5 s)',
  })
  @EmptyAsAbsent()
  @IsOptional()
  @Matches(/^[0-9]{1,30}$/, { message: 'waitFor must be a position (a decimal string)' })
  waitFor?: string;
}

/** A list's page size when the request names none (the contract's). */
const DEFAULT_PAGE_LIMIT = 100;

export class PageDto extends WaitForDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: DEFAULT_PAGE_LIMIT })
  @EmptyAsAbsent()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page' })
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  after?: string;
}

/** The page a list request asks for. */
export const pageOf = ({ limit, after }: PageDto): Page => ({
  limit: limit ?? DEFAULT_PAGE_LIMIT,
  ...(after && { after }),
});

export class ListWorkitemsDto extends PageDto {
  @ApiPropertyOptional({ enum: ['created', 'started', 'completed', 'abandoned'] })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(['created', 'started', 'completed', 'abandoned'])
  state?: 'created' | 'started' | 'completed' | 'abandoned';

  @ApiPropertyOptional()
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  caseId?: string;

  @ApiPropertyOptional()
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  transitionId?: string;

  @ApiPropertyOptional()
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  executor?: string;

  @ApiPropertyOptional({
    enum: ['me'],
    description:
      'The workitems the caller may work: open, not claimed by someone else, and unassigned or the caller a candidate (a candidate user, in a candidate group, or the assignee)',
  })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(['me'], { message: 'candidate must be me' })
  candidate?: 'me';

  @ApiPropertyOptional({
    example: 'me',
    description: 'The workitems claimed by the caller (`me`) or, for admins, by the user named',
  })
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  claimedBy?: string;
}

export const AT_REVISION = {
  description: 'As it was right after this revision (0-based) of the case stream; 400 past its end',
};
