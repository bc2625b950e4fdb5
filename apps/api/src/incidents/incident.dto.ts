import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import type { IncidentResolution, JsonValue, ValidationDetail } from '@wfnet/domain';
import { ID_PATTERN, ValidationError } from '@wfnet/domain';
import { IsJson } from '../http/json.js';
import { EmptyAsAbsent, PageDto } from '../http/query.dto.js';

const STATES = ['open', 'resolved'] as const;
const KINDS = ['condition_failed', 'executor_failed', 'timeout'] as const;
const ACTIONS = [
  'retry',
  'complete',
  'route',
  'abandon',
] as const satisfies readonly IncidentResolution['action'][];

export class ListIncidentsDto extends PageDto {
  @ApiPropertyOptional({ enum: STATES })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(STATES)
  state?: (typeof STATES)[number];

  @ApiPropertyOptional()
  @EmptyAsAbsent()
  @IsOptional()
  @IsString()
  caseId?: string;

  @ApiPropertyOptional({ enum: KINDS })
  @EmptyAsAbsent()
  @IsOptional()
  @IsIn(KINDS)
  kind?: (typeof KINDS)[number];
}

export class ResolveIncidentDto {
  @ApiProperty({
    enum: ACTIONS,
    description:
      'retry: run the executor or evaluate the conditions again; complete: complete the workitem with `output`; route: send the tokens to `placeIds` (a condition_failed incident); abandon: abandon the task',
  })
  @IsIn(ACTIONS, { message: `action must be one of ${ACTIONS.join(', ')}` })
  action!: (typeof ACTIONS)[number];

  @ApiPropertyOptional({
    description: 'With `complete` only: the workitem output (any JSON); null when absent',
  })
  @IsOptional()
  @IsJson()
  output?: JsonValue;

  @ApiPropertyOptional({
    type: [String],
    description: 'With `route` only, and required there: the output places of the split to send tokens to',
  })
  @IsOptional()
  @IsJson()
  placeIds?: JsonValue;
}

/** Where the ids of a route are wrong, if anywhere: a non-empty list of distinct place ids. */
function placeIdProblems(placeIds: JsonValue | undefined): ValidationDetail[] {
  if (!Array.isArray(placeIds) || placeIds.length === 0) {
    return [{ path: 'placeIds', message: 'must be a non-empty array of place ids' }];
  }
  const seen = new Set<string>();
  return placeIds.flatMap((id, index): ValidationDetail[] => {
    const path = `placeIds[${index}]`;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      return [{ path, message: `must be a place id matching ${ID_PATTERN.source}` }];
    }
    if (seen.has(id)) return [{ path, message: `repeats ${id}` }];
    seen.add(id);
    return [];
  });
}

/** The domain's resolution a body asks for; a member that belongs to another action is refused, not ignored. */
export function resolutionOf(body: ResolveIncidentDto): IncidentResolution {
  const problems: ValidationDetail[] = [];
  if (body.output !== undefined && body.action !== 'complete') {
    problems.push({ path: 'output', message: 'is only for the complete action' });
  }
  if (body.action === 'route') problems.push(...placeIdProblems(body.placeIds));
  else if (body.placeIds !== undefined) {
    problems.push({ path: 'placeIds', message: 'is only for the route action' });
  }
  if (problems.length > 0) {
    throw new ValidationError('validation_failed', `the ${body.action} resolution is not valid`, problems);
  }
  switch (body.action) {
    case 'retry':
    case 'abandon':
      return { action: body.action };
    case 'complete':
      return { action: 'complete', output: body.output === undefined ? null : body.output };
    case 'route':
      return { action: 'route', placeIds: body.placeIds as string[] };
    default: {
      const unknown: never = body.action;
      return unknown;
    }
  }
}
